"""Talking to Discord: webhook URLs and their secret, message payloads cut to Discord's
limits, one HTTP call with its outcome classified, and inbound signature checks.

Every call goes to `settings.DISCORD_API_BASE` (CONTRACTS section 6). Nothing here touches
the database.
"""

import base64
import hashlib
import json
import random
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

# Discord's limits (https://discord.com/developers/docs/resources/message#create-message).
CONTENT_MAX = 2000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FOOTER_MAX = 2048
EMBEDS_TOTAL_MAX = 6000
# A student's text can never ping @everyone, a role or a person.
NO_MENTIONS: dict[str, list[str]] = {"parse": []}
# An interaction older (or newer) than this is refused, whatever its signature.
SIGNATURE_MAX_AGE_S = 300

WEBHOOK_PATH = re.compile(r"/api(?:/v\d+)?/webhooks/(\d{1,32})/([A-Za-z0-9_.-]{1,200})/?")


class WebhookError(ValueError):
    """A webhook URL the platform refuses; `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def parse_webhook_url(url: str) -> tuple[str, str]:
    """(webhook id, token) of a webhook URL on DISCORD_API_BASE's origin, else WebhookError.

    Only `<origin>/api[/v<n>]/webhooks/<id>/<token>`: the field cannot make the server
    call any other host or path."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        raise WebhookError("bad_webhook", "That is not a URL.") from None
    if parts.query or parts.fragment or parts.username or parts.password:
        raise WebhookError("bad_webhook", "A webhook URL has no query, fragment or login.")
    if _origin(url) != _origin(settings.DISCORD_API_BASE):
        raise WebhookError(
            "bad_webhook_host",
            f"Only Discord webhooks ({_origin(settings.DISCORD_API_BASE)}) are accepted.",
        )
    match = WEBHOOK_PATH.fullmatch(parts.path)
    if match is None:
        raise WebhookError(
            "bad_webhook", "Paste the webhook URL as Discord shows it: …/api/webhooks/<id>/<token>"
        )
    return match.group(1), match.group(2)


def _fernet() -> Fernet:
    # Derived from SECRET_KEY: a new secret key makes stored webhooks unreadable (set again).
    digest = hashlib.sha256(b"inkwell.chat.webhook:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str | None:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def message_payload(
    *, content: str = "", embeds: list[dict[str, Any]] | None = None, username: str = "Inkwell"
) -> dict[str, Any]:
    """A webhook body within Discord's limits, mentions off."""
    payload: dict[str, Any] = {
        "username": username,
        "content": _cut(content, CONTENT_MAX),
        "allowed_mentions": NO_MENTIONS,
    }
    if embeds:
        payload["embeds"] = cut_embeds(embeds)
    return payload


def cut_embeds(embeds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Titles, descriptions and footers cut to their limits, and all the text of all embeds
    to 6,000 characters (what is past it is dropped, descriptions first)."""
    budget = EMBEDS_TOTAL_MAX
    result = []
    for embed in embeds[:10]:
        embed = dict(embed)
        for key, limit in (("title", EMBED_TITLE_MAX), ("description", EMBED_DESCRIPTION_MAX)):
            if key in embed:
                embed[key] = _cut(str(embed[key]), min(limit, max(budget, 1)))
                budget -= len(embed[key])
        if "footer" in embed:
            text = _cut(str(embed["footer"].get("text", "")), min(EMBED_FOOTER_MAX, max(budget, 1)))
            embed["footer"] = {**embed["footer"], "text": text}
            budget -= len(text)
        embed.pop("fields", None)
        result.append(embed)
        if budget <= 0:
            break
    return result


@dataclass(frozen=True)
class Outcome:
    """What one call to Discord came to."""

    delivered: bool
    status_code: int | None = None
    error: str = ""
    # Retry no sooner than this many seconds from now (None: do not retry).
    retry_after_s: float | None = None
    # Discord says the webhook no longer exists: never call it again.
    gone: bool = False

    @property
    def permanent(self) -> bool:
        return not self.delivered and self.retry_after_s is None


def backoff_s(attempt: int) -> float:
    """Exponential backoff with jitter: half the step fixed, half random (so retries of many
    deliveries spread out, yet never come sooner than half the step)."""
    step = min(
        settings.DISCORD_RETRY_MAX_S, settings.DISCORD_RETRY_BASE_S * 2 ** max(attempt - 1, 0)
    )
    return step / 2 + random.uniform(0, step / 2)


def _retry_after(response: requests.Response) -> float:
    """Seconds Discord asks to wait: the body's `retry_after`, else the Retry-After header."""
    try:
        body = response.json()
        value = float(body["retry_after"])
    except (ValueError, KeyError, TypeError):
        try:
            value = float(response.headers.get("Retry-After", ""))
        except ValueError:
            value = 1.0
    return max(value, 0.0)


def classify(response: requests.Response) -> Outcome:
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(delivered=True, status_code=code)
    text = _cut(response.text or "", 300)
    if code == 429:
        return Outcome(
            False, code, f"429 rate limited: {text}", retry_after_s=_retry_after(response)
        )
    if code >= 500:
        return Outcome(False, code, f"{code} from Discord: {text}", retry_after_s=-1.0)
    return Outcome(False, code, f"{code} from Discord: {text}", gone=code == 404)


def call(
    method: str,
    path: str,
    *,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
) -> Outcome:
    """One call to DISCORD_API_BASE + path. A 5xx or network error is retriable
    (`retry_after_s` -1: the caller's backoff decides), a 429 says how long to wait, any
    other 4xx is permanent."""
    url = settings.DISCORD_API_BASE + path
    if files:  # attachments: multipart, the JSON body in `payload_json`
        options: dict[str, Any] = {"data": {"payload_json": json.dumps(body)}, "files": files}
    else:
        options = {"data": json.dumps(body), "headers": {"Content-Type": "application/json"}}
    if headers:
        options["headers"] = {**options.get("headers", {}), **headers}
    try:
        response = requests.request(
            method, url, timeout=settings.DISCORD_TIMEOUT_S, allow_redirects=False, **options
        )
    except requests.RequestException as exc:
        return Outcome(False, None, f"network: {type(exc).__name__}", retry_after_s=-1.0)
    return classify(response)


def execute_webhook(
    *,
    webhook_id: str,
    token: str,
    payload: dict[str, Any],
    files: dict[str, tuple[str, bytes, str]] | None = None,
) -> Outcome:
    payload = {**payload, "allowed_mentions": NO_MENTIONS}  # whatever the caller built
    return call("POST", f"/webhooks/{webhook_id}/{token}", body=payload, files=files)


def edit_interaction_response(*, token: str, content: str) -> Outcome:
    body = {"content": _cut(content, CONTENT_MAX), "allowed_mentions": NO_MENTIONS}
    return call(
        "PATCH",
        f"/webhooks/{settings.DISCORD_APPLICATION_ID}/{token}/messages/@original",
        body=body,
    )


def verify_signature(
    *, signature: str, timestamp: str, body: bytes, now: float | None = None
) -> bool:
    """Whether an interaction is signed by DISCORD_PUBLIC_KEY (Ed25519 over timestamp +
    raw body) and no older than five minutes."""
    if not settings.DISCORD_PUBLIC_KEY:
        return False
    try:
        sent = int(timestamp)
        key = VerifyKey(bytes.fromhex(settings.DISCORD_PUBLIC_KEY))
        key.verify(timestamp.encode() + body, bytes.fromhex(signature))
    except (ValueError, BadSignatureError):
        return False
    return abs((time.time() if now is None else now) - sent) <= SIGNATURE_MAX_AGE_S
