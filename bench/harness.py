"""What the benchmarks share, and the root conftest.py's test servers with them: free ports,
processes started and stopped, the test-split ink, CPU readings and percentiles.

Plain Python: no Django, so a benchmark may import it before it sets up its own settings.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("INKWELL_DATA_DIR") or REPO.parent / "shared" / "data")
UNIPEN = DATA / "unipen-1abc.jsonl.gz"
PY = sys.executable

# ------------------------------------------------------------------ ports and processes


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout):
            return True
    except OSError:
        return False


def wait_until(ready: Callable[[], bool], proc: subprocess.Popen[bytes], timeout: float = 60,
               what: str = "the process") -> None:  # fmt: skip
    """Polls `ready()` until it is true; RuntimeError when `proc` exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} was not ready within {timeout:g} s")
        time.sleep(0.2)


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Until `proc` (or anything) listens on 127.0.0.1:port."""
    wait_until(lambda: listening("127.0.0.1", port), proc, timeout, what=f"the server on {port}")


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path | None,
            stop_timeout: float = 10) -> Iterator[subprocess.Popen[bytes]]:  # fmt: skip
    """A process started in the repository with its output in `log` (None: discarded);
    on exit it is asked to stop (SIGTERM) and killed after `stop_timeout` seconds."""
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") if log is not None else open(os.devnull, "w") as out:
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def as_postgres(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class Postgres:
    """A throw-away PostgreSQL cluster with trust authentication, in `root` (which the
    `postgres` user must be able to enter: a fresh `tempfile.mkdtemp()`, not pytest's)."""

    def __init__(self, root: Path, database: str = "inkwell_faults") -> None:
        self.dir = root / "pg"
        self.port = free_port()
        self.dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
            shutil.chown(self.dir, "postgres")
        subprocess.run(
            as_postgres(["initdb", "-D", str(self.dir), "-A", "trust", "-U", "postgres"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.database = database
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            as_postgres(["pg_ctl", "-D", str(self.dir), "-o", opts, "-l",
                         str(self.dir / "log"), "-w", "start"]),
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip

    def stop(self) -> None:
        subprocess.run(
            as_postgres(["pg_ctl", "-D", str(self.dir), "-m", "fast", "-w", "stop"]),
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip

    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres",
                             autocommit=True) as conn:  # fmt: skip
            conn.execute(f'CREATE DATABASE "{self.database}"')


def ensure_database(url: str) -> None:
    """Creates the PostgreSQL database of `url` when it is missing."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


# ------------------------------------------------------------------ ink


def test_rows() -> Iterator[dict[str, Any]]:
    """The UNIPEN test-split samples in file order: {"label", "strokes", "split", ...}."""
    with gzip.open(UNIPEN, "rt") as lines:
        for line in lines:
            sample = json.loads(line)
            if sample["split"] == "test":
                yield sample


def test_inks(n: int) -> list[list[list[list[float]]]]:
    """The strokes of the first `n` test-split characters."""
    inks = []
    for sample in test_rows():
        inks.append(sample["strokes"])
        if len(inks) >= n:
            break
    return inks


# ------------------------------------------------------------------ CPU


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int]:
    """(busy, stolen) CPU ticks of the whole machine so far: steal is time the hypervisor
    gave this VM's cores to someone else."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields[:8]) - idle - fields[7], fields[7]


def cpu_description() -> str:
    """The processor and its widest vector units: LiteRT's int8 kernels run about 5 times
    faster with AVX-512 VNNI than with AVX2 alone (docs/benchmarks.md)."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                  if line.startswith("model name")), "unknown")  # fmt: skip
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines()
                  if line.startswith("flags")), [])  # fmt: skip
    vector = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni") if f in flags]
    return f"{model}, {os.cpu_count()} CPUs, {' '.join(vector) or 'no AVX2'}"


def machine_speed_loop_ms() -> float:
    """A fixed pure-Python loop, best of three: this VM's speed varies by up to 2x."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(5_000_000):
            total += i
        times.append((time.perf_counter() - started) * 1000)
    return round(min(times))


# ------------------------------------------------------------------ percentiles


def percentile(values: list[float], q: float) -> float:
    """The `q`th percentile (0 to 100) of `values`: the nearest rank, no interpolation."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(latencies_ms: list[float]) -> dict[str, float]:
    """n, p50, p95, p99, max and mean of latencies in milliseconds ({} for none)."""
    if not latencies_ms:
        return {}
    return {
        "n": len(latencies_ms),
        "p50_ms": round(percentile(latencies_ms, 50), 2),
        "p95_ms": round(percentile(latencies_ms, 95), 2),
        "p99_ms": round(percentile(latencies_ms, 99), 2),
        "max_ms": round(max(latencies_ms), 2),
        "mean_ms": round(statistics.fmean(latencies_ms), 2),
    }
