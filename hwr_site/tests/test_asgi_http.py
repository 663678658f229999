"""HTTP through the real ASGI server (uvicorn), a2wsgi and Django's WSGI handler:
static files, token and session authentication, CSRF, and the synchronous middleware chain."""

import json

import pytest
import requests
from django.conf import settings
from django.test import Client
from django.utils.module_loading import import_string
from rest_framework.authtoken.models import Token

from recognition.tests.samples import unipen_test_samples

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def student(django_user_model):
    return django_user_model.objects.create_user("asgi-kim", password="pw-12345678")


@pytest.fixture
def ink_body() -> str:
    return json.dumps({"strokes": unipen_test_samples(labels="3", per_label=1)[0]["strokes"]})


def test_every_middleware_runs_synchronously():
    # An async-only middleware would put a thread hop back into every request (under WSGI,
    # Django would adapt it with async_to_sync).
    for path in settings.MIDDLEWARE:
        assert getattr(import_string(path), "sync_capable", True), path


def test_static_files_are_served_with_their_headers(asgi_server):
    response = requests.get(f"{asgi_server}/static/js/ink-canvas.js", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Pointer" in response.text or "pointer" in response.text
    missing = requests.get(f"{asgi_server}/static/js/no-such-file.js", timeout=10)
    assert missing.status_code == 404


def test_a_token_recognises_ink_through_the_server(asgi_server, student, ink_body):
    token = Token.objects.create(user=student)
    response = requests.post(
        f"{asgi_server}/api/v1/recognize",
        data=ink_body,
        headers={"Content-Type": "application/json", "Authorization": f"Token {token.key}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["label"] == "3"
    assert len(payload["candidates"]) >= 3
    assert response.headers["X-Frame-Options"] == "DENY"  # the middleware chain ran


def test_a_chunked_body_reaches_the_view(asgi_server, student, ink_body):
    token = Token.objects.create(user=student)
    response = requests.post(
        f"{asgi_server}/api/v1/recognize",
        data=(part.encode() for part in (ink_body[:50], ink_body[50:])),  # no Content-Length
        headers={"Content-Type": "application/json", "Authorization": f"Token {token.key}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.json()["label"] == "3"


def test_a_chunked_body_over_the_limit_is_refused(asgi_server):
    part = b"x" * (1024 * 1024)
    parts = (part for _ in range(settings.MAX_REQUEST_BYTES // len(part) + 2))
    response = requests.post(f"{asgi_server}/api/v1/recognize", data=parts, timeout=30)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_a_wrong_token_gets_the_error_shape(asgi_server, ink_body):
    response = requests.post(
        f"{asgi_server}/api/v1/recognize",
        data=ink_body,
        headers={"Content-Type": "application/json", "Authorization": "Token " + "0" * 40},
        timeout=10,
    )
    # 403, not 401: session authentication comes first and sends no WWW-Authenticate.
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "authentication_failed"


def test_a_session_needs_the_csrf_token(asgi_server, student, ink_body):
    browser = Client()
    browser.force_login(student)
    session = requests.Session()
    session.cookies.set("sessionid", browser.cookies["sessionid"].value)
    url = f"{asgi_server}/api/v1/recognize"
    headers = {"Content-Type": "application/json"}

    refused = session.post(url, data=ink_body, headers=headers, timeout=10)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]["message"]

    secret = "a" * 32
    session.cookies.set("csrftoken", secret)
    accepted = session.post(
        url, data=ink_body, headers={**headers, "X-CSRFToken": secret}, timeout=10
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["label"] == "3"


def test_readiness_probes_leave_no_redis_subscription_behind(asgi_server, redis_url):
    import redis

    for _ in range(3):
        assert requests.get(f"{asgi_server}/readyz", timeout=10).status_code == 200
    assert redis.Redis.from_url(redis_url).pubsub_channels("*readyz*") == []
