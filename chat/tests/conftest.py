"""Fixtures of the chat tests: a fake Discord (a real local HTTP server), a key pair for
signed interactions, a Celery worker on the `discord` queue that calls the fake."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from nacl.signing import SigningKey
from pytest_httpserver import HTTPServer

from classroom.tests.conftest import (  # noqa: F401 - shared fixtures
    _fast_test_settings,
    classroom,
    client_as,
    other_student,
    other_teacher,
    staff,
    student,
    teacher,
)
from conftest import ARTIFACTS_DIR, REPO_ROOT, _service_env

APPLICATION_ID = "424242"
WEBHOOK_ID = "1234567890"
WEBHOOK_TOKEN = "tok_en-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@pytest.fixture(scope="session")
def fake_discord() -> Iterator[HTTPServer]:
    """Discord's API as a real HTTP server on this machine; tests say what it answers."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def discord(fake_discord: HTTPServer, settings) -> Iterator[HTTPServer]:
    """The fake, emptied, and this process's settings pointed at it."""
    fake_discord.clear()
    settings.DISCORD_API_BASE = fake_discord.url_for("/api/v10")
    settings.DISCORD_APPLICATION_ID = APPLICATION_ID
    settings.DISCORD_RETRY_BASE_S = 2.0
    yield fake_discord
    fake_discord.clear()


def webhook_url(server: HTTPServer) -> str:
    return server.url_for(f"/api/webhooks/{WEBHOOK_ID}/{WEBHOOK_TOKEN}")


WEBHOOK_PATH = f"/api/v10/webhooks/{WEBHOOK_ID}/{WEBHOOK_TOKEN}"


@pytest.fixture
def signing_key(settings) -> SigningKey:
    key = SigningKey.generate()
    settings.DISCORD_PUBLIC_KEY = key.verify_key.encode().hex()
    return key


@pytest.fixture(scope="session")
def discord_worker(
    django_db_setup: None, redis_url: str, fake_discord: HTTPServer
) -> Iterator[None]:
    """A real Celery worker consuming only the `discord` queue, calling the fake Discord,
    with short backoff steps so that retries come within a test."""
    import redis

    from hwr_site.celery import app

    redis.Redis.from_url(redis_url).delete("discord")  # tasks of earlier runs
    env = _service_env(
        redis_url,
        DISCORD_API_BASE=fake_discord.url_for("/api/v10"),
        DISCORD_APPLICATION_ID=APPLICATION_ID,
        DISCORD_RETRY_BASE_S="0.2",
        DISCORD_RETRY_MAX_S="1",
    )
    log_path = ARTIFACTS_DIR / "celery-discord-worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    name = f"discord-{os.getpid()}@%h"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hwr_site", "worker", "-Q", "discord",
             "--concurrency", "2", "--hostname", name, "--without-gossip", "--without-mingle",
             "--loglevel", "INFO"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not app.control.ping(
                destination=[name.replace("%h", os.uname().nodename)], timeout=0.5
            ):
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Discord worker did not start; see {log_path}")
            yield
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
