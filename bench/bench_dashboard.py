"""Dashboard benchmark: a class of 40 students with 20,000 attempts on PostgreSQL.

Renders the class dashboard (the page, the same page filtered, and the API) N times through
Django's full request stack in this process, and reports server time (p50/p95/max ms) and
the number of SQL queries per request, with the process's CPU time and the SQL time per
request (p50) for a shared machine. Target (issue 15): p95 <= 150 ms for every dashboard
case, <= 400 ms for the CSV export.

    SECRET_KEY=x .venv/bin/python bench/bench_dashboard.py [--runs 30] [--students 40] \
        [--attempts 20000] [--json]

Needs PostgreSQL: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/inkwell_bench_dash;
the database is created when missing). The seeded class is reused on later runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import ensure_database, percentile

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/inkwell_bench_dash"


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-dashboard-not-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_COOKIES", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwr_site.settings")
    os.environ.pop("REDIS_URL", None)  # the dashboard needs no Redis: embedded mode
    import django
    from django.conf import settings

    django.setup()
    # Pages load `{% static %}`; the manifest storage would need collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(students: int, attempts: int) -> Any:
    """The bench class, made once: `students` members, three exercises, `attempts` attempts
    spread over two months (real UNIPEN ink when present)."""
    from classroom.demo import bulk_create_dated, demo_attempts
    from classroom.models import Attempt, Classroom, Exercise, Membership, User

    teacher, _ = User.objects.get_or_create(
        username="bench_teacher", defaults={"role": User.Role.TEACHER}
    )
    classroom, _ = Classroom.objects.get_or_create(
        teacher=teacher, name=f"Bench class {students}x{attempts}"
    )
    have = Attempt.objects.filter(exercise__classroom=classroom).count()
    if have == attempts:
        return classroom
    Attempt.objects.filter(exercise__classroom=classroom).delete()
    exercises = [
        Exercise.objects.get_or_create(classroom=classroom, title=title, defaults=spec)[0]
        for title, spec in (
            ("Digits", {"characters": "0123456789", "repetitions": 3}),
            ("Mirror letters", {"characters": "bdpq", "repetitions": 5}),
            ("Vowels", {"characters": "aeiou", "repetitions": 3}),
        )
    ]
    members = []
    for i in range(students):
        member, _ = User.objects.get_or_create(
            username=f"bench_student_{i:02d}", defaults={"first_name": f"Student {i:02d}"}
        )
        Membership.objects.get_or_create(classroom=classroom, student=member)
        members.append(member)
    per_student = attempts // students
    png = b"\x89PNG\r\n\x1a\n" + bytes(600)  # a stored image's size; never read by the page
    made = 0
    for i, member in enumerate(members):
        history = list(
            demo_attempts(
                exercises=exercises,
                students=[member],
                skill={member.pk: 0.4 + 0.5 * i / students},
                days=60,
                per_day=(14, 18),
                seed=i,
                render=False,
            )
        )[-per_student:]  # the most recent ones
        for attempt in history:
            attempt.image = png
        made += bulk_create_dated(history)
    print(f"seeded {made} attempts for {students} students", file=sys.stderr)
    from django.db import connection

    with connection.cursor() as cursor:  # as autovacuum would soon after a bulk load
        cursor.execute("VACUUM ANALYZE classroom_attempt")
    return classroom


def measure(client: Any, url: str, runs: int) -> dict[str, float]:
    """Wall time per request (p50/p95/max), and, for a machine others load too, the CPU
    time this process spent on it and the time its SQL took (both p50), and the queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):  # warm the template cache and the database's buffers
        assert client.get(url).status_code == 200
    times, cpu, sql, queries = [], [], [], []
    spent: list[float] = []

    def timed(execute: Any, query: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            spent.append(time.perf_counter() - start)

    for _ in range(runs):
        spent.clear()
        with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(timed):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, response.status_code
        sql.append(sum(spent) * 1000)
        queries.append(len(ctx.captured_queries))
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "sql_p50_ms": round(statistics.median(sql), 1),
        "queries": max(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--attempts", type=int, default=20_000)
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_DB
    if not url.startswith("postgres"):
        sys.exit("bench_dashboard needs PostgreSQL: set DATABASE_URL=postgres://...")
    ensure_database(url)
    setup_django(url)

    from datetime import timedelta

    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from classroom.models import Attempt

    classroom = seed(args.students, args.attempts)
    # As a server process starts (hwr_site/asgi.py, wsgi.py): every view imported, then what
    # was built so far left out of later garbage collections.
    from hwr_site.startup import freeze_startup_heap, import_views

    import_views()
    freeze_startup_heap()
    client = Client()
    client.force_login(classroom.teacher)
    page = reverse("class_dashboard", kwargs={"pk": classroom.pk})
    exercise = classroom.exercises.order_by("pk").first()
    since = (timezone.localdate() - timedelta(days=14)).isoformat()
    cases = {
        "dashboard page": page,
        "page, one exercise, last 14 days": f"{page}?exercise={exercise.pk}&from={since}",
        "page with a confusion drill-down": f"{page}?target=b&read=d",
        "dashboard API": reverse("api-class-dashboard", kwargs={"pk": classroom.pk}),
        "CSV export (all attempts)": reverse("class_attempts_csv", kwargs={"pk": classroom.pk}),
    }
    results = {name: measure(client, case_url, args.runs) for name, case_url in cases.items()}
    summary = {
        "students": classroom.memberships.count(),
        "attempts": Attempt.objects.filter(exercise__classroom=classroom).count(),
        "runs": args.runs,
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "results": results,
    }
    if args.json:
        print(json.dumps(summary))
        return
    print(f"{summary['students']} students, {summary['attempts']} attempts, {args.runs} runs each")
    heads = ("p50 ms", "p95 ms", "max ms", "cpu p50", "sql p50", "queries")
    print(f"{'case':36} " + " ".join(f"{h:>8}" for h in heads))
    for name, r in results.items():
        print(
            f"{name:36} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['max_ms']:8.1f} "
            f"{r['cpu_p50_ms']:8.1f} {r['sql_p50_ms']:8.1f} {r['queries']:8d}"
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
