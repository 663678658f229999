"""The dashboard and the alerts query metrics that exist: the app's own (read from a real
/metrics), the exporters' (Flower, redis_exporter, Prometheus's process metrics) and the
planned ones listed in deploy/prometheus/planned-metrics.txt, which must not exist yet."""

import json
import re

import pytest
import yaml

from deploy.tests.conftest import DEPLOY

GRAFANA = DEPLOY / "grafana"
DASHBOARD = json.loads((GRAFANA / "dashboards" / "inkwell.json").read_text())
RULES = yaml.safe_load((DEPLOY / "prometheus" / "rules" / "inkwell.rules.yml").read_text())

# Exported by the maintained exporters the stack runs (names from their documentation).
EXPORTERS = {
    # Flower 2.x /metrics
    "flower_events_total",
    "flower_task_runtime_seconds_bucket",
    "flower_task_prefetch_time_seconds",
    "flower_worker_prefetched_tasks",
    "flower_worker_online",
    "flower_worker_number_of_currently_executing_tasks",
    # redis_exporter with REDIS_EXPORTER_CHECK_SINGLE_KEYS
    "redis_key_size",
    "redis_up",
    # RabbitMQ's rabbitmq_prometheus plugin, /metrics/per-object (RabbitMQ as the broker)
    "rabbitmq_queue_messages_ready",
}
PROMQL_WORDS = {
    "sum",
    "max",
    "min",
    "by",
    "rate",
    "increase",
    "histogram_quantile",
    "absent",
    "or",
    "and",
    "le",
    "count",
    "on",
}


def _planned() -> set[str]:
    lines = (DEPLOY / "prometheus" / "planned-metrics.txt").read_text().splitlines()
    return {line.split()[0] for line in lines if line.strip() and not line.startswith("#")}


def _queried_metrics(expr: str) -> set[str]:
    labels = _labels(expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr))
    return names - PROMQL_WORDS - labels


def _labels(expr: str) -> set[str]:
    return {
        label.strip() for group in re.findall(r"by \(([^)]*)\)", expr) for label in group.split(",")
    }


def _expressions() -> list[str]:
    exprs = [t["expr"] for p in DASHBOARD["panels"] for t in p["targets"]]
    exprs += [r["expr"] for g in RULES["groups"] for r in g["rules"]]
    return exprs


def _recorded() -> set[str]:
    return {r["record"] for g in RULES["groups"] for r in g["rules"] if "record" in r}


@pytest.fixture(scope="module")
def exported(django_db_blocker) -> set[str]:
    """Every sample name the app's /metrics can carry (histograms and counters expanded)."""
    from django.test import Client, override_settings

    import hwr_site.asgi  # noqa: F401 - loads the consumers, whose metrics register on import

    with django_db_blocker.unblock(), override_settings(METRICS_TOKEN="scrape"):
        response = Client().get("/metrics", headers={"Authorization": "Bearer scrape"})
        body = response.content.decode()
    assert response.status_code == 200
    names: set[str] = set()
    for kind_line in re.findall(r"^# TYPE (\S+) (\S+)$", body, re.M):
        name, kind = kind_line
        if kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        elif kind == "counter":
            names |= {name, f"{name}_total"}
        else:
            names.add(name)
    return names


def test_every_queried_metric_exists_or_is_planned(exported):
    known = exported | EXPORTERS | _planned() | _recorded()
    missing = {
        (name, expr)
        for expr in _expressions()
        for name in _queried_metrics(expr)
        if name not in known and name.removesuffix("_bucket").removesuffix("_count") not in known
    }
    assert not missing


def test_planned_metrics_are_not_exported_yet(exported):
    planned = _planned()
    exported_bases = {re.sub(r"_(bucket|sum|count)$", "", name) for name in exported}
    assert not planned & (exported | exported_bases), "now exported: drop them from the list"


def test_the_app_exports_what_the_alerts_lean_on_today(exported):
    for name in (
        "inkwell_live_prediction_seconds_bucket",
        "inkwell_live_errors_total",
        "inkwell_recognition_seconds_bucket",
        "django_http_responses_total_by_status_total",
        "django_http_requests_latency_including_middlewares_seconds_bucket",
    ):
        assert name in exported, name


def test_every_planned_metric_is_used_somewhere():
    used = {name for expr in _expressions() for name in _queried_metrics(expr)}
    used |= {re.sub(r"_(bucket|count)$", "", name) for name in used}
    assert _planned() <= used


def test_the_dashboard_loads_as_grafana_provisions_it():
    assert DASHBOARD["uid"] and DASHBOARD["title"] and DASHBOARD["schemaVersion"] >= 36
    ids = [p["id"] for p in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    datasources = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    (source,) = datasources["datasources"]
    assert source["url"] == "http://prometheus:9090"
    for panel in DASHBOARD["panels"]:
        assert panel["type"] in {"timeseries", "stat"}, panel["title"]
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"}
        assert panel["datasource"]["uid"] == source["uid"]
        assert panel["targets"], panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs))
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == source["uid"]
    providers = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "inkwell.yml").read_text()
    )
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    path = providers["providers"][0]["options"]["path"]
    assert f"./grafana/dashboards:{path}:ro" in mounts


def test_the_dashboard_shows_latency_throughput_errors_queues_workers_and_model():
    titles = " ".join(p["title"].lower() for p in DASHBOARD["panels"])
    for topic in ("latency", "throughput", "errors", "queue", "workers", "model version"):
        assert topic in titles, topic


def test_every_alert_waits_before_it_fires_and_says_what_is_wrong():
    alerts = [r for g in RULES["groups"] for r in g["rules"] if "alert" in r]
    assert len(alerts) >= 9
    for alert in alerts:
        assert re.fullmatch(r"\d+m", alert["for"]), alert["alert"]
        assert alert["labels"]["severity"] in {"page", "ticket"}
        assert alert["annotations"]["summary"]


def test_every_alert_has_a_unit_test_that_fires_it():
    tests = (DEPLOY / "prometheus" / "tests" / "inkwell.test.yml").read_text()
    for group in RULES["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                assert tests.count(f"alertname: {rule['alert']}") >= 2, rule["alert"]
