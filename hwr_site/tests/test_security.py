"""Headers and deployment checks: CSP with no inline script, HSTS and HTTPS behind a TLS
proxy, `check --deploy` clean, DEBUG only in the development server, short 4xx logs, and
students' sessions that end with the browser or the school day."""

import json
import logging
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from classroom.tests.factories import PASSWORD, StudentFactory, TeacherFactory
from conftest import REPO_ROOT
from hwr_site.log_filters import ClientErrorsShort

PRODUCTION_ENV = {
    "PATH": "/usr/bin:/bin",
    "DJANGO_SETTINGS_MODULE": "hwr_site.settings",
    "DEBUG": "false",
    "SECRET_KEY": "a-production-secret-that-is-long-and-random-8f3c1e9b7d2a4c6e0f5b9a1d3c7e",
    "ALLOWED_HOSTS": "inkwell.example.org",
    "BEHIND_TLS_PROXY": "true",
}


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env={**PRODUCTION_ENV, **env},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_script(client):
    policy = client.get("/accounts/login/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    # No inline style either: not in a <style> element, not in a style attribute.
    assert directives["style-src"] == "'self'" and directives["style-src-attr"] == "'none'"


def test_no_template_holds_inline_script_or_style():
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    handlers = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    styles = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
    for template in (REPO_ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert not inline.search(text), f"inline <script> in {template}"
        assert not handlers.search(text), f"inline event handler in {template}"
        assert not styles.search(text), f"inline style in {template}"
    # HTML built in Python (the dashboards' SVG charts) holds none either.
    for app in ("audit", "chat", "classroom", "hwr_site", "recognition"):
        for module in (REPO_ROOT / app).rglob("*.py"):
            if "tests" not in module.parts:
                assert not styles.search(module.read_text()), f"inline style in {module}"


@pytest.mark.django_db
def test_the_api_docs_load_their_script_from_a_file(client):
    page = client.get("/api/docs/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)


def test_check_deploy_is_clean_with_production_settings():
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT, env=PRODUCTION_ENV, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_behind_a_tls_proxy_http_is_redirected_and_https_gets_hsts():
    code = """
import django, json
django.setup()
from django.test import Client
c = Client()
# A page that reads no table (the database here is empty): the log-in page asks axes.
page = "/accounts/password_reset/"
plain = c.get(page, HTTP_HOST="inkwell.example.org")
secure = c.get(page, HTTP_HOST="inkwell.example.org", HTTP_X_FORWARDED_PROTO="https")
probe = c.get("/healthz", HTTP_HOST="inkwell.example.org")
print(json.dumps({"plain": [plain.status_code, plain.headers.get("Location")],
                  "hsts": secure.headers.get("Strict-Transport-Security"),
                  "probe": probe.status_code}))
"""
    done = run_python(code, DATABASE_URL="sqlite:///:memory:")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["plain"] == [301, "https://inkwell.example.org/accounts/password_reset/"]
    assert answer["hsts"] == "max-age=31536000; includeSubDomains"
    assert answer["probe"] == 200  # probes reach the process over plain HTTP


def test_a_server_refuses_to_start_with_debug_outside_the_development_server():
    done = run_python("import hwr_site.asgi", DEBUG="true")
    assert done.returncode != 0
    assert "DEBUG is on" in done.stderr


def test_the_development_server_starts_with_debug_and_says_so_loudly():
    done = run_python("import hwr_site.asgi", DEBUG="true", DEV_SERVER="true")
    assert done.returncode == 0, done.stderr
    assert "DEBUG IS ON" in done.stderr


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status", "line"),
    [("/classes/999999/", 404, "Not Found: /classes/999999/"),
     # A student asking for a teacher's page: PermissionDenied, which Django logs with it.
     ("/classes/new/", 403, "Forbidden (Permission denied): /classes/new/")],
)  # fmt: skip
def test_a_refused_page_logs_one_line_not_a_traceback(client, caplog, path, status, line):
    student = StudentFactory.create()
    client.force_login(student)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(path).status_code == status
    refused = [r for r in caplog.records if getattr(r, "status_code", 0) == status]
    assert [r.getMessage() for r in refused] == [line]
    console = next(
        h for h in logging.getLogger().handlers
        if any(isinstance(f, ClientErrorsShort) for f in h.filters)
    )  # fmt: skip
    for record in refused:
        console.filter(record)
        assert "Traceback" not in console.format(record)
        assert "\n" not in console.format(record)


def test_a_server_error_keeps_its_traceback():
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "boom", (), None)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    record.status_code = 500
    assert ClientErrorsShort().filter(record) and record.exc_info is not None


def login(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return Session.objects.get(session_key=client.cookies["sessionid"].value)


@pytest.mark.django_db
def test_a_students_session_ends_with_the_browser_or_after_a_school_day(client, settings):
    session = login(client, StudentFactory.create())
    assert client.cookies["sessionid"]["expires"] == ""  # a browser-session cookie
    lasts = session.expire_date - timezone.now()
    assert lasts <= timedelta(seconds=settings.SCHOOL_DAY_SECONDS)
    assert lasts > timedelta(seconds=settings.SCHOOL_DAY_SECONDS - 60)


@pytest.mark.django_db
def test_a_teachers_session_keeps_djangos_two_weeks(client, settings):
    session = login(client, TeacherFactory.create())
    assert client.cookies["sessionid"]["expires"] != ""
    assert session.expire_date - timezone.now() > timedelta(days=13)
