"""Rate limits and lockout: each fires, answers 429 with Retry-After (JSON for the API, a
page for people), and clears."""

import time

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.test import Client
from rest_framework.authtoken.models import Token

from classroom.tests.factories import PASSWORD, StudentFactory, TeacherFactory
from hwr_site.ratelimits import window_hit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def log_in(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_an_account_is_locked_at_ten_wrong_passwords_even_for_the_right_one(settings):
    student = StudentFactory.create()
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        # From a new address each time: the account's own count locks it.
        client = Client(REMOTE_ADDR=f"10.0.0.{n + 1}")
        assert log_in(client, student.username, "wrong").status_code == 200
    assert log_in(Client(REMOTE_ADDR="10.0.0.99"), student.username, "wrong").status_code == 429
    locked = log_in(Client(REMOTE_ADDR="10.0.1.1"), student.username, PASSWORD)
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "ask your teacher" in locked.content.decode()
    assert "_auth_user_id" not in Client().session


def test_an_address_trying_many_accounts_is_locked_out(settings):
    client = Client(REMOTE_ADDR="10.0.2.1")
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, f"nobody{n}", "wrong").status_code == 200
    assert log_in(client, "nobody-last", "wrong").status_code == 429
    someone = StudentFactory.create()
    assert log_in(client, someone.username, PASSWORD).status_code == 429
    assert log_in(Client(REMOTE_ADDR="10.0.2.2"), someone.username, PASSWORD).status_code == 302


def test_an_admin_clears_a_lockout_and_the_right_password_works_again(settings, admin_client):
    student = StudentFactory.create()
    client = Client(REMOTE_ADDR="10.0.3.1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, student.username, "wrong")
    assert log_in(client, student.username, PASSWORD).status_code == 429
    listed = admin_client.get("/admin/axes/accessattempt/")
    assert listed.status_code == 200 and student.username in listed.content.decode()
    reset(username=student.username)
    reset(ip="10.0.3.1")
    assert log_in(client, student.username, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=student.username).exists()


def test_a_locked_out_login_is_refused_before_its_password_is_checked(settings):
    student = StudentFactory.create()
    client = Client(REMOTE_ADDR="10.0.5.1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, student.username, "wrong")
    failures = AccessAttempt.objects.get(username=student.username).failures_since_start
    for _ in range(3):
        assert log_in(client, student.username, "wrong").status_code == 429
    # The authentication backends never ran: nothing hashed, no failure recorded.
    assert AccessAttempt.objects.get(username=student.username).failures_since_start == failures


def test_a_locked_out_address_is_shown_the_lockout_page_instead_of_the_form(settings):
    client = Client(REMOTE_ADDR="10.0.5.2")
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"nobody{n}", "wrong")
    page = client.get("/accounts/login/")
    assert page.status_code == 429 and "ask your teacher" in page.content.decode()
    assert Client(REMOTE_ADDR="10.0.5.3").get("/accounts/login/").status_code == 200


@pytest.mark.parametrize(
    ("path", "limit"),
    [("/accounts/signup/", 10), ("/accounts/password_reset/", 5)],
)
def test_account_forms_are_limited_per_address(path, limit):
    client = Client(REMOTE_ADDR="10.0.4.1")
    for _ in range(limit):
        assert client.post(path, {"username": ""}).status_code in (200, 302)
    refused = client.post(path, {"username": ""})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Please wait a moment" in refused.content.decode()
    assert Client(REMOTE_ADDR="10.0.4.2").post(path, {"username": ""}).status_code != 429


def test_join_codes_are_limited_per_student():
    client = Client()
    client.force_login(StudentFactory.create())
    for _ in range(20):
        assert client.post("/classes/join/", {"code": "WRONGCOD"}).status_code == 200
    assert client.post("/classes/join/", {"code": "WRONGCOD"}).status_code == 429


def test_the_recognize_api_is_limited_per_token(settings):
    settings.RECOGNIZE_PER_MINUTE = 3
    token = Token.objects.create(user=TeacherFactory.create())
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    ink = {"strokes": [[[0, 0], [0, 30]]]}
    for _ in range(3):
        assert (
            client.post("/api/v1/recognize", ink, content_type="application/json").status_code
            == 200
        )
    refused = client.post("/api/v1/recognize", ink, content_type="application/json")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused["Retry-After"]) <= 60
    other = Token.objects.create(user=StudentFactory.create())
    answer = Client(HTTP_AUTHORIZATION=f"Token {other.key}").post(
        "/api/v1/recognize", ink, content_type="application/json"
    )
    assert answer.status_code == 200  # per token


def test_a_window_clears_when_it_ends():
    assert window_hit("test-clears", limit=1, window_s=2) is None
    wait = window_hit("test-clears", limit=1, window_s=2)
    assert wait is not None and 0 < wait <= 2
    time.sleep(wait + 0.05)
    assert window_hit("test-clears", limit=1, window_s=2) is None
