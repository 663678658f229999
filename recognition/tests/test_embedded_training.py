"""Retraining in embedded mode, as `make run` starts it on a bare machine (no Redis, no
worker, SQLite): "Train a new version" answers at once, the training runs in a process of
its own beside the server and reports its progress on the same page as with a worker, and
stopping the server mid-run leaves the version failed with the reason.

The server is real (uvicorn in its own process, the demo data from `seed_demo`, the admin's
login form); the ink file is a small cut of UNIPEN so that a run takes a minute or two.
"""

import gzip
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import REPO_ROOT, uvicorn_server

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]  # servers, a real training
DATA = Path(os.environ.get("INKWELL_DATA_DIR") or REPO_ROOT.parent / "shared" / "data")
ADMIN = "/admin/recognition/modelversion/"


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    var = tmp_path_factory.mktemp("embedded-training")
    data = var / "data"
    data.mkdir()
    wanted = {"train": 400, "val": 150}  # file order: a few writers of each split
    with (
        gzip.open(DATA / "unipen-1abc.jsonl.gz", "rt") as source,
        gzip.open(data / "unipen-cut.jsonl.gz", "wt") as cut,
    ):
        for line in source:
            split = json.loads(line)["split"]
            if wanted.get(split, 0) > 0:
                wanted[split] -= 1
                cut.write(line)
            if not any(wanted.values()):
                break
    (data / "pendigits.jsonl.gz").symlink_to(DATA / "pendigits.jsonl.gz")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="hwr_site.settings", VAR_DIR=str(var), DEBUG="true",
        DEV_SERVER="true", MEDIA_ROOT=str(var / "media"), SECRET_KEY="embedded-training-key",
        TRAINING_DATA_DIR=str(data), LOGS=str(var),
    )  # fmt: skip
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=REPO_ROOT, env=env,
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
    return env


def admin_session(url: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{url}/admin/login/", timeout=10).raise_for_status()
    response = session.post(
        f"{url}/admin/login/?next=/admin/",
        data={"username": "admin", "password": "inkwell-admin", "next": "/admin/",
              "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        timeout=10,
    )  # fmt: skip
    assert response.ok and "sessionid" in session.cookies, response.text[:500]
    return session


def post(session: requests.Session, url: str, path: str, data: dict) -> requests.Response:
    session.get(f"{url}{ADMIN}", timeout=10)
    form = {**data, "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    return session.post(f"{url}{path}", data=form, allow_redirects=False, timeout=10)


def start_training(session: requests.Session, url: str, env: dict[str, str]) -> int:
    source = str(Path(env["TRAINING_DATA_DIR"]) / "unipen-cut.jsonl.gz")
    response = post(session, url, f"{ADMIN}train/", {"sources": [source], "preset": "quick"})
    assert response.status_code == 302, response.text[:2000]
    return int(response.headers["Location"].rstrip("/").split("/")[-2])


def progress(session: requests.Session, url: str, pk: int) -> dict:
    return session.get(f"{url}{ADMIN}{pk}/progress/", timeout=10).json()


def until(session, url, pk, done, timeout: float) -> tuple[dict, list[str]]:
    """Polls the version's progress, as its admin page does, until `done(progress)`."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        now = progress(session, url, pk)
        if not seen or seen[-1] != now["text"]:
            seen.append(now["text"])
        if done(now):
            return now, seen
        assert time.monotonic() < deadline, f"still {now} after {timeout}s; saw {seen}"
        time.sleep(0.3)


def test_training_runs_beside_the_server_and_shows_its_progress(embedded, browser):
    with uvicorn_server(embedded, Path(embedded["LOGS"]) / "train.log") as url:
        session = admin_session(url)
        pk = start_training(session, url, embedded)
        # The request has answered; the training it started has not ended (a run takes
        # longer than this one poll: loading TensorFlow alone does).
        assert progress(session, url, pk)["status"] in {"queued", "training"}

        context = browser.new_context(viewport={"width": 1366, "height": 800})
        context.add_cookies([{"name": "sessionid", "value": session.cookies["sessionid"],
                              "domain": "127.0.0.1", "path": "/"}])  # fmt: skip
        page = context.new_page()
        page.goto(f"{url}{ADMIN}{pk}/change/")
        done, seen = until(session, url, pk, lambda p: p["status"] in {"ready", "failed"}, 400)
        assert done["status"] == "ready", done["text"]
        assert any(text.startswith("Epoch 1 of 1: loss") for text in seen), seen
        # The page's own polling showed the end and reloaded with the version's scores.
        deadline = time.monotonic() + 20
        while page.locator("table.metrics-comparison").count() == 0:
            assert time.monotonic() < deadline, page.content()[:2000]
            time.sleep(0.2)
        assert page.locator("#training-progress").inner_text() == "ready"
        assert "Below the active version: top1" in page.locator(".below-active").inner_text()
        page.screenshot(path=str(Path(embedded["LOGS"]) / "trained.png"), full_page=True)
        context.close()

        # Activating the weaker version asks first, then does it.
        asked = post(session, url, ADMIN, {"action": "activate", "_selected_action": [pk]})
        assert asked.status_code == 200 and re.search(r"Yes, activate version \d+", asked.text)
        confirm = {"action": "activate", "_selected_action": [pk], "confirm_worse": "yes"}
        activated = post(session, url, ADMIN, confirm)
        assert activated.status_code == 302
        assert progress(session, url, pk)["status"] == "active"


def test_the_server_refuses_a_source_without_a_val_split(embedded):
    with uvicorn_server(embedded, Path(embedded["LOGS"]) / "refuse.log") as url:
        session = admin_session(url)
        pendigits = str(Path(embedded["TRAINING_DATA_DIR"]) / "pendigits.jsonl.gz")
        response = post(session, url, f"{ADMIN}train/", {"sources": [pendigits], "preset": "quick"})
        assert response.status_code == 200
        assert "The chosen sources have no val split" in response.text


def test_stopping_the_server_mid_training_leaves_the_version_failed_with_why(embedded):
    with uvicorn_server(embedded, Path(embedded["LOGS"]) / "stopped.log") as url:
        session = admin_session(url)
        pk = start_training(session, url, embedded)
        until(session, url, pk, lambda p: p["status"] == "training", 120)
    # The server is gone (SIGTERM, as a restart sends); its training process followed.
    with uvicorn_server(embedded, Path(embedded["LOGS"]) / "restarted.log") as url:
        session = admin_session(url)
        now, _ = until(session, url, pk, lambda p: p["status"] != "training", 30)
        assert now["status"] == "failed"
        assert now["text"] == (
            "Failed: Stopped before it finished: the server running this training was stopped "
            "or restarted. Retry it to train again."
        )
        listed = session.get(f"{url}{ADMIN}", timeout=10).text
        assert re.search(r'class="training-failure">Stopped before it finished', listed)
        retried = post(session, url, ADMIN, {"action": "retry_training", "_selected_action": [pk]})
        assert retried.status_code == 302
        assert progress(session, url, pk)["status"] in {"queued", "training"}
