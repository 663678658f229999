"""Rules deploy/compose.yaml and the Dockerfile keep, beyond the compose-spec schema."""

import re

import yaml
from django.conf import settings

from deploy.tests.conftest import DEPLOY, REPO

COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (DEPLOY / "docker" / "Dockerfile").read_text()
ONE_SHOTS = {"migrate", "static"}


def _stages() -> dict[str, list[str]]:
    """Each build stage's lines, by stage name."""
    stages: dict[str, list[str]] = {}
    current = None
    for line in re.sub(r"\\\n\s*", " ", DOCKERFILE).splitlines():
        if line.startswith("#"):
            continue
        found = re.match(r"FROM\s+(\S+)\s+AS\s+(\S+)", line)
        if found:
            current = found.group(2)
            stages[current] = [line]
        elif current:
            stages[current].append(line)
    return stages


def _lineage(stage: str, stages: dict[str, list[str]]) -> list[str]:
    parent = stages[stage][0].split()[1]
    return [stage, *(_lineage(parent, stages) if parent in stages else [])]


def test_the_stack_has_every_service_the_deployment_needs():
    assert {
        "web",
        "worker-inference",
        "worker-training",
        "worker-default",
        "beat",
        "postgres",
        "redis",
        "nginx",
        "prometheus",
        "grafana",
        "flower",
        "migrate",
    } <= set(SERVICES)
    assert SERVICES["web"]["deploy"]["replicas"] == 2
    beats = [name for name, s in SERVICES.items() if " beat" in " ".join(s.get("command", []))]
    assert beats == ["beat"]


def test_every_long_running_service_has_a_health_check():
    for name, service in SERVICES.items():
        if name in ONE_SHOTS:
            assert service["restart"] == "no", name
        else:
            assert service["healthcheck"]["test"], name


def test_web_waits_for_the_migration_and_never_runs_it():
    assert SERVICES["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert SERVICES["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    web_stage = "\n".join(_stages()["web"])
    assert "migrate" not in web_stage.split("CMD", 1)[1]


def test_secrets_come_from_the_env_file_and_secret_files_only():
    example = (DEPLOY / "inkwell.env.example").read_text()
    for name in ("SECRET_KEY", "DATABASE_URL", "POSTGRES_PASSWORD", "GF_SECURITY_ADMIN_PASSWORD"):
        assert re.search(rf"^{name}=", example, re.M), name
    for name, service in SERVICES.items():
        for key in service.get("environment", {}):
            assert not re.search(r"SECRET|PASSWORD|TOKEN$", key), (name, key)
    assert COMPOSE["secrets"]["metrics_token"]["file"] == "./secrets/metrics_token"
    ignored = (REPO / ".gitignore").read_text()
    assert "deploy/inkwell.env" in ignored and "deploy/secrets/*" in ignored


def test_compose_mounts_only_files_that_exist():
    for service in SERVICES.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./") and "$" not in source:
                assert (DEPLOY / source).exists() or source == "./nginx/tls", source


def test_every_image_target_the_stack_builds_exists():
    stages = _stages()
    for name in (
        "web",
        "worker-inference",
        "worker-training",
        "worker-training-gpu",
        "worker-inference-gpu",
    ):
        assert name in stages, name
    for service in SERVICES.values():
        if "build" in service:
            assert service["build"]["target"] in stages


def test_images_run_as_a_non_root_user():
    stages = _stages()
    for target in ("web", "worker-inference", "worker-training", "worker-training-gpu"):
        users = [
            line.split()[1]
            for stage in reversed(_lineage(target, stages))
            for line in stages[stage]
            if line.startswith("USER ")
        ]
        assert users and users[-1] == "10001:10001", target


def test_serving_images_carry_no_tensorflow_and_training_images_do():
    stages = _stages()
    for target in ("web", "worker-inference", "worker-inference-gpu"):
        text = "\n".join(line for s in _lineage(target, stages) for line in stages[s])
        assert "train.txt" not in text and "deps-train" not in text, target
        assert "tensorflow" not in text.lower(), target
    for target in ("worker-training", "worker-training-gpu"):
        text = "\n".join(line for s in _lineage(target, stages) for line in stages[s])
        assert "train.txt" in text or "deps-train" in text, target


def test_static_files_are_collected_into_the_image():
    assert "manage.py collectstatic --noinput" in "\n".join(_stages()["app-serve"])


def test_the_image_and_nginx_refuse_bodies_at_the_apps_limit():
    nginx = (DEPLOY / "nginx" / "inkwell.conf").read_text()
    limit = re.search(r"client_max_body_size (\d+)m;", nginx).group(1)  # type: ignore[union-attr]
    assert int(limit) * 1024 * 1024 == settings.MAX_REQUEST_BYTES
    assert "--ws-max-size" in DOCKERFILE


def test_nginx_upgrades_websockets_and_forwards_the_tls_headers():
    nginx = (DEPLOY / "nginx" / "inkwell.conf").read_text()
    ws = nginx.split("location /ws/", 1)[1].split("}", 1)[0]
    assert "proxy_set_header Upgrade $http_upgrade;" in ws
    assert "proxy_set_header Connection $connection_upgrade;" in ws
    timeout = re.search(r"proxy_read_timeout (\d+)s;", ws).group(1)  # type: ignore[union-attr]
    assert int(timeout) >= 3600
    # BEHIND_TLS_PROXY trusts this header (hwr_site/settings.py).
    assert nginx.count("proxy_set_header X-Forwarded-Proto $scheme;") == 3


def test_the_docker_context_leaves_out_secrets_and_local_state():
    ignored = (REPO / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", "var", ".env"):
        assert entry in ignored
