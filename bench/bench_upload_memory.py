"""Upload memory benchmark: parallel 4096x4096 RGBA PNG uploads against one server process.

Starts one ASGI server (uvicorn) on PostgreSQL and Redis, then has `--clients` threads
each POST the same 4096x4096 RGBA PNG (a drawn character on a transparent background,
under the 5 MB limit) to `POST /api/v1/recognize` `--rounds` times, while it samples the
server's resident memory every 10 ms and times `GET /healthz` every 50 ms. Reports the
resident memory before, at its peak and after, the answers' status codes, and /healthz's
latency during the uploads.

    .venv/bin/python bench/bench_upload_memory.py [--clients 16] [--rounds 2]

Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/inkwell_bench)
and Redis (REDIS_URL, default redis://127.0.0.1:6379/14).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench_live import (
    PY,
    REPO,
    ensure_database,
    free_port,
    process,
    setup_users,
    summary,
    wait_port,
)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def big_png() -> bytes:
    """A 4096x4096 RGBA PNG of a thick '3' on a transparent background."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (4096, 4096), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.arc((1000, 500, 3000, 2100), 200, 90, fill=(20, 20, 20, 255), width=220)
    draw.arc((1000, 1900, 3000, 3600), 270, 160, fill=(20, 20, 20, 255), width=220)
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    import requests

    database_url = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inkwell_bench"
    )
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    ensure_database(database_url)
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "DJANGO_SETTINGS_MODULE": "hwr_site.settings", "SECRET_KEY": "bench-only-secret",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_COOKIES": "false",
           "LOG_LEVEL": "WARNING", "RATE_LIMITS_ENABLED": "false",
           "MEDIA_ROOT": str(Path(tempfile.gettempdir()) / "inkwell-bench-media")}  # fmt: skip
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True)
    _cookies, token = setup_users(env, 1)
    png = big_png()
    port = free_port()
    logs = Path(tempfile.mkdtemp(prefix="inkwell-bench-upload-"))
    server_cmd = [PY, "-m", "uvicorn", "hwr_site.asgi:application", "--host", "127.0.0.1",
                  "--port", str(port), "--no-access-log", "--log-level", "warning",
                  "--lifespan", "off"]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Token {token}"}
    with process(server_cmd, env, logs / "server.log") as server:
        wait_port(port, server)
        # Warm-up: load the model, then one small upload.
        requests.post(f"{url}/api/v1/recognize", headers=headers, timeout=60,
                      files={"image": ("a.png", png, "image/png")})  # fmt: skip
        time.sleep(1)
        before = rss_mb(server.pid)
        samples: list[float] = []
        health: list[float] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(rss_mb(server.pid))
                time.sleep(0.01)

        def probe() -> None:
            with requests.Session() as session:
                while not done.is_set():
                    started = time.perf_counter()
                    with contextlib.suppress(requests.RequestException):  # counted as it gave up
                        session.get(f"{url}/healthz", timeout=60)
                    health.append((time.perf_counter() - started) * 1000)
                    time.sleep(0.05)

        def upload(_: int) -> list[int]:
            codes = []
            with requests.Session() as session:
                for _round in range(args.rounds):
                    answer = session.post(f"{url}/api/v1/recognize", headers=headers, timeout=120,
                                          files={"image": ("a.png", png, "image/png")})  # fmt: skip
                    codes.append(answer.status_code)
            return codes

        watchers = [threading.Thread(target=sample), threading.Thread(target=probe)]
        for watcher in watchers:
            watcher.start()
        started = time.monotonic()
        with ThreadPoolExecutor(args.clients) as pool:
            codes = Counter(
                code for batch in pool.map(upload, range(args.clients)) for code in batch
            )
        wall = time.monotonic() - started
        done.set()
        for watcher in watchers:
            watcher.join()
        time.sleep(2)
        after = rss_mb(server.pid)
    print(json.dumps({
        "clients": args.clients, "rounds": args.rounds, "png_bytes": len(png),
        "rss_mb": {"before": round(before), "peak": round(max(samples)), "after": round(after)},
        "status_codes": dict(codes), "wall_s": round(wall, 1),
        "healthz_during_uploads": summary(health),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
