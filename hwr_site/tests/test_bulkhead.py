"""Health checks never queue behind user work, and password checks get a few of the HTTP
threads, never all of them."""

import asyncio
import re

import pytest
import requests

from hwr_site.bulkhead import PasswordBulkhead
from hwr_site.probes import HealthzOnLoop


class Recorder:
    """An inner ASGI app that answers 200 once `release` is set, and counts its calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.release = asyncio.Event()

    async def __call__(self, scope, receive, send):
        self.calls.append(scope["path"])
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def http(path: str, method: str = "GET") -> dict:
    return {"type": "http", "path": path, "method": method, "headers": []}


async def call(app, scope) -> list[dict]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_healthz_is_answered_without_reaching_django():
    inner = Recorder()
    sent = await call(HealthzOnLoop(inner), http("/healthz"))
    assert inner.calls == []
    assert sent[0]["status"] == 200 and sent[1]["body"] == b'{"status": "ok"}'


async def test_other_paths_and_methods_go_through_to_django():
    inner = Recorder()
    inner.release.set()
    app = HealthzOnLoop(inner)
    await call(app, http("/healthz/more"))
    await call(app, http("/healthz", "POST"))
    assert inner.calls == ["/healthz/more", "/healthz"]


async def test_a_password_post_waits_for_a_free_slot_then_runs():
    inner = Recorder()
    app = PasswordBulkhead(inner, paths=["/accounts/"], slots=1, wait_s=5)
    first = asyncio.create_task(call(app, http("/accounts/login/", "POST")))
    second = asyncio.create_task(call(app, http("/accounts/login/", "POST")))
    await asyncio.sleep(0.05)
    assert inner.calls == ["/accounts/login/"]  # the second waits on the loop, not a thread
    inner.release.set()
    await asyncio.gather(first, second)
    assert inner.calls == ["/accounts/login/", "/accounts/login/"]


async def test_a_password_post_that_waits_too_long_is_told_to_come_back():
    inner = Recorder()
    app = PasswordBulkhead(inner, paths=["/accounts/"], slots=1, wait_s=0.05)
    first = asyncio.create_task(call(app, http("/accounts/login/", "POST")))
    await asyncio.sleep(0.01)
    sent = await call(app, http("/accounts/login/", "POST"))
    assert sent[0]["status"] == 503
    assert (b"retry-after", b"5") in sent[0]["headers"]
    inner.release.set()
    await first


class Refuser:
    """An inner ASGI app that answers every request 429, as django-axes does a lockout."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope, receive, send):
        self.calls += 1
        await send({"type": "http.response.start", "status": 429,
                    "headers": [(b"retry-after", b"900")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b"locked out"})


async def test_a_refusal_frees_its_slot_at_once_and_is_answered_after_the_delay():
    inner = Refuser()
    app = PasswordBulkhead(inner, paths=["/accounts/"], slots=1, wait_s=5, refusal_delay_s=2)
    first = asyncio.create_task(call(app, http("/accounts/login/", "POST")))
    second = asyncio.create_task(call(app, http("/accounts/login/", "POST")))
    await asyncio.sleep(0.1)
    assert inner.calls == 2  # the first refusal left the one slot while it is held
    assert not first.done() and not second.done()
    for sent in await asyncio.gather(first, second):
        assert sent[0]["status"] == 429 and (b"retry-after", b"900") in sent[0]["headers"]
        assert sent[1]["body"] == b"locked out"


async def test_answers_that_are_not_refusals_are_sent_at_once():
    inner = Recorder()
    inner.release.set()
    app = PasswordBulkhead(inner, paths=["/accounts/"], slots=1, wait_s=5, refusal_delay_s=60)
    sent = await asyncio.wait_for(call(app, http("/accounts/login/", "POST")), 5)
    assert sent[0]["status"] == 200


async def test_pages_and_other_posts_never_wait_for_a_password_slot():
    inner = Recorder()
    app = PasswordBulkhead(inner, paths=["/accounts/"], slots=1, wait_s=5)
    hashing = asyncio.create_task(call(app, http("/accounts/login/", "POST")))
    await asyncio.sleep(0.01)
    others = [
        asyncio.create_task(call(app, scope))
        for scope in (http("/accounts/login/"), http("/api/v1/recognize", "POST"))
    ]
    await asyncio.sleep(0.05)
    assert inner.calls == ["/accounts/login/", "/accounts/login/", "/api/v1/recognize"]
    inner.release.set()
    await asyncio.gather(hashing, *others)


@pytest.mark.django_db(transaction=True)
def test_logging_in_through_the_server_still_works(asgi_server, django_user_model):
    django_user_model.objects.create_user("bulk-kim", password="pw-bulkhead-12345")
    with requests.Session() as session:
        page = session.get(f"{asgi_server}/accounts/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token
        answer = session.post(
            f"{asgi_server}/accounts/login/",
            data={"username": "bulk-kim", "password": "pw-bulkhead-12345",
                  "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": f"{asgi_server}/accounts/login/"},
            allow_redirects=False, timeout=10,
        )  # fmt: skip
    assert answer.status_code == 302


def test_healthz_through_the_server_carries_its_headers(asgi_server):
    answer = requests.get(f"{asgi_server}/healthz", timeout=10)
    assert answer.json() == {"status": "ok"}
    assert answer.headers["Cache-Control"].startswith("max-age=0, no-cache")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
