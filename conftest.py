"""Fixtures shared by every app: real services, a real Celery worker, headless Chromium.

The suite runs against PostgreSQL and Redis (`make test` points DATABASE_URL and REDIS_URL
at them). With `CI` set, a missing service fails the run instead of skipping tests.
"""

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

from bench.harness import REPO as REPO_ROOT
from bench.harness import free_port, listening, process, wait_port, wait_until

ARTIFACTS_DIR = REPO_ROOT / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    return listening(parsed.hostname or "127.0.0.1", parsed.port or default_port, timeout=2)


def require_service(name: str, url: str, default_port: int) -> None:
    """Fail under CI, skip elsewhere, when a service the test needs is not reachable."""
    if url and _reachable(url, default_port):
        return
    message = f"{name} is not reachable at {url or '(not configured)'}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def _real_services(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Files the tests (and the worker and server they start) write never land in var/.
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    if os.environ.get("CI"):
        if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
            pytest.fail("CI must run against PostgreSQL: set DATABASE_URL")
        require_service("Redis", settings.REDIS_URL, 6379)


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Iterator[None]:
    # A Redis channel layer binds its locks to one event loop; each async test has its own.
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # Rate-limit counters live in the cache (Redis in the suite, shared by every test): each
    # test starts with none, as a new client would.
    if settings.REDIS_URL and _reachable(settings.REDIS_URL, 6379):
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        keys = list(client.scan_iter(match="*rl:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
    else:
        from django.core.cache import cache

        cache.clear()


@pytest.fixture(scope="session")
def redis_url() -> str:
    require_service("Redis", settings.REDIS_URL, 6379)
    return settings.REDIS_URL


def _service_env(redis_url: str, **extra: str) -> dict[str, str]:
    """Environment for a server or worker process that shares the test database."""
    db = settings.DATABASES["default"]
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{host}:{port}/{db['NAME']}",
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "hwr_site.settings",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SECURE_COOKIES": "false",
        "SECRET_KEY": settings.SECRET_KEY,  # sessions made by the tests must be valid there
        "DB_POOL_MAX": "16",  # the production default (the test process itself runs without)
        **extra,
    }


@pytest.fixture(scope="session")
def celery_worker(django_db_setup: None, redis_url: str) -> Iterator[None]:
    """A real Celery worker process consuming every queue, on the test database."""
    import redis

    from hwr_site.celery import app

    redis.Redis.from_url(redis_url).flushdb()
    log_path = ARTIFACTS_DIR / "celery-worker.log"
    worker_cmd = [
        sys.executable, "-m", "celery", "-A", "hwr_site", "worker",
        "-Q", "default,inference,training", "--concurrency", "2",
        "--hostname", f"test-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
        "--loglevel", "INFO",
    ]  # fmt: skip
    with process(worker_cmd, _service_env(redis_url), log_path, stop_timeout=20) as worker:
        try:
            wait_until(lambda: bool(app.control.ping(timeout=0.5)), worker, 60, "Celery worker")
        except RuntimeError as exc:
            raise RuntimeError(f"Celery worker did not start ({exc}); see {log_path}") from exc
        yield


@pytest.fixture
def batched_inference_worker(django_db_setup: None, redis_url: str) -> Iterator[int]:
    """A real inference worker that recognises live predictions in batches
    (INFERENCE_BATCH_SIZE=8 on Celery's thread pool); yields its metrics port."""
    import redis

    from hwr_site.celery import app

    redis.Redis.from_url(redis_url).flushdb()
    log_path = ARTIFACTS_DIR / "celery-batched-worker.log"
    metrics_port = free_port()
    env = _service_env(
        redis_url,
        INFERENCE_BATCH_SIZE="8",
        INFERENCE_BATCH_WAIT_MS="20",
        WORKER_METRICS_PORT=str(metrics_port),
        WORKER_METRICS_ADDR="127.0.0.1",
    )
    worker_cmd = [
        sys.executable, "-m", "celery", "-A", "hwr_site", "worker", "-Q", "inference",
        "--pool", "threads", "--concurrency", "8",
        "--hostname", f"test-batched-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
        "--loglevel", "INFO",
    ]  # fmt: skip
    with process(worker_cmd, env, log_path, stop_timeout=20) as worker:
        try:
            wait_until(lambda: bool(app.control.ping(timeout=0.5)), worker, 60, "Celery worker")
        except RuntimeError as exc:
            raise RuntimeError(f"Celery worker did not start ({exc}); see {log_path}") from exc
        yield metrics_port


@pytest.fixture
def inference_paused(celery_worker: None) -> Iterator[None]:
    """The worker stops consuming the inference queue: as if every inference worker were down."""
    from hwr_site.celery import app

    app.control.cancel_consumer("inference", reply=True)
    try:
        yield
    finally:
        app.control.add_consumer("inference", reply=True)


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every task this process publishes meets a broker that refuses connections (nothing
    listens on port 1): the live publisher and Celery's own producers alike."""
    from hwr_site.celery import app
    from recognition.consumers import live_tasks

    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    # Celery's connection and producer pools, made anew for that URL.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    live_tasks.cache_clear()
    yield
    live_tasks.cache_clear()


# As `make run` sets it (WS_MAX_SIZE): above the consumers' own 256 KiB frame limit.
WS_MAX_SIZE = 524288


@contextmanager
def uvicorn_server(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """The ASGI application served by uvicorn in its own process, as `make run` starts it;
    yields its base URL and stops it on exit."""
    port = free_port()
    server_cmd = [
        sys.executable, "-m", "uvicorn", "hwr_site.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off",
        "--ws-max-size", str(WS_MAX_SIZE),
    ]  # fmt: skip
    with process(server_cmd, env, log_path, stop_timeout=20) as server:
        try:
            wait_port(port, server, timeout=60)
        except RuntimeError as exc:
            raise RuntimeError(f"ASGI server did not start ({exc}); see {log_path}") from exc
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def asgi_server(django_db_setup: None, redis_url: str) -> Iterator[str]:
    """The real ASGI server (uvicorn: HTTP and websockets) on the test database.

    Tests that use it need `transactional_db` so that the server sees their rows.
    """
    env = _service_env(redis_url, ALLOWED_HOSTS="127.0.0.1,localhost", DEBUG="false")
    with uvicorn_server(env, ARTIFACTS_DIR / "asgi-server.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright (never a downloaded browser).

    Per module: Playwright's sync API keeps an event loop running until it stops, and the
    async tests of later modules need the main thread free of it.
    """
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def screenshot_dir() -> Path:
    path = ARTIFACTS_DIR / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
