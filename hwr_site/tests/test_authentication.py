"""API tokens: remembered for a few seconds per process, forgotten on revocation."""

import json
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import update_last_login
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from hwr_site import authentication
from recognition.tests.samples import unipen_test_samples

pytestmark = pytest.mark.django_db
URL = "/api/v1/recognize"


@pytest.fixture(autouse=True)
def _forget_tokens() -> Iterator[None]:
    authentication.forget_tokens()
    yield
    authentication.forget_tokens()


@pytest.fixture
def clock(monkeypatch):
    """The cache's clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(authentication, "_clock", lambda: now[0])
    return now


@pytest.fixture
def token(django_user_model) -> Token:
    user = django_user_model.objects.create_user("tok", password="pw-12345678")
    return Token.objects.create(user=user)


@pytest.fixture
def body() -> str:
    return json.dumps({"strokes": unipen_test_samples(labels="7", per_label=1)[0]["strokes"]})


def call(key: str, body: str) -> tuple[int, list[str]]:
    """Status, and the SQL that looked tokens up."""
    with CaptureQueriesContext(connection) as queries:
        response = Client().post(
            URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
        )
    return response.status_code, [q["sql"] for q in queries if "authtoken_token" in q["sql"]]


def test_a_valid_token_is_checked_once_then_remembered(token, body, clock):
    status, lookups = call(token.key, body)
    assert status == 200 and len(lookups) == 1
    clock[0] += 4
    assert call(token.key, body) == (200, [])


def test_the_database_is_asked_again_once_the_seconds_pass(token, body, clock):
    assert call(token.key, body)[0] == 200
    # Deactivated without a signal, as another process would: seen once the entry expires.
    type(token.user).objects.filter(pk=token.user.pk).update(is_active=False)
    assert call(token.key, body) == (200, [])
    clock[0] += 6
    status, lookups = call(token.key, body)
    assert status == 403 and len(lookups) == 1


def test_a_deleted_token_is_refused_at_once(token, body, clock):
    assert call(token.key, body)[0] == 200
    key = token.key
    token.delete()
    assert call(key, body)[0] == 403


def test_a_deactivated_user_is_refused_at_once(token, body, clock):
    assert call(token.key, body)[0] == 200
    token.user.is_active = False
    token.user.save()
    assert call(token.key, body)[0] == 403


def test_a_token_deleted_in_the_admin_is_refused_at_once(token, body, clock, admin_client):
    assert call(token.key, body)[0] == 200
    url = f"/admin/authtoken/tokenproxy/{token.user_id}/delete/"
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Token.objects.filter(key=token.key).exists()
    assert call(token.key, body)[0] == 403


def test_a_login_elsewhere_does_not_drop_the_cache(token, body, clock):
    assert call(token.key, body)[0] == 200
    update_last_login(type(token.user), token.user)
    assert call(token.key, body) == (200, [])


def test_an_unknown_token_is_never_remembered(token, body, clock, django_user_model):
    other = django_user_model.objects.create_user("other", password="pw-12345678")
    key = "f" * 40
    assert call(key, body)[0] == 403
    Token.objects.create(user=other, key=key)
    assert call(key, body)[0] == 200


def test_a_lookup_that_overlaps_a_revocation_is_not_remembered(token, body, clock, monkeypatch):
    original = TokenAuthentication.authenticate_credentials

    def revoked_meanwhile(self, key):
        found = original(self, key)
        authentication.forget_tokens(token.user_id)  # another thread revokes, mid-lookup
        return found

    monkeypatch.setattr(TokenAuthentication, "authenticate_credentials", revoked_meanwhile)
    assert call(token.key, body)[0] == 200
    monkeypatch.setattr(TokenAuthentication, "authenticate_credentials", original)
    status, lookups = call(token.key, body)
    assert status == 200 and len(lookups) == 1  # asked the database again


def test_each_request_gets_its_own_user_and_token(token, body, clock):
    auth = authentication.CachedTokenAuthentication()
    first_user, first_token = auth.authenticate_credentials(token.key)
    second_user, second_token = auth.authenticate_credentials(token.key)
    assert first_user == second_user and first_user is not second_user
    assert first_token is not second_token and second_token.user is second_user


@override_settings(API_TOKEN_CACHE_SECONDS=0)
def test_zero_seconds_checks_every_request(token, body, clock):
    assert len(call(token.key, body)[1]) == 1
    assert len(call(token.key, body)[1]) == 1
