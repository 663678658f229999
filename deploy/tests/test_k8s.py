"""Rules the rendered Kubernetes overlays keep, beyond what the schemas check."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from deploy.tests.conftest import DEPLOY, rendered

WORKLOADS = {"Deployment", "StatefulSet", "Job"}


def _of(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def _named(docs: list[dict], kind: str, name: str) -> dict:
    (doc,) = [d for d in _of(docs, kind) if d["metadata"]["name"] == name]
    return doc


def _pod_specs(docs: list[dict]) -> list[tuple[dict, dict]]:
    return [(d, d["spec"]["template"]["spec"]) for d in docs if d["kind"] in WORKLOADS]


def _matches(selector: dict, labels: dict) -> bool:
    if not selector:
        return True
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        present = expr["key"] in labels
        value = labels.get(expr["key"])
        if expr["operator"] == "In" and value not in expr["values"]:
            return False
        if expr["operator"] == "NotIn" and value in expr["values"]:
            return False
        if expr["operator"] == "Exists" and not present:
            return False
        if expr["operator"] == "DoesNotExist" and present:
            return False
    return True


def _pod_labels(docs: list[dict]) -> list[dict]:
    return [d["spec"]["template"]["metadata"]["labels"] for d in docs if d["kind"] in WORKLOADS]


def _human_bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", value.lower()).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]


def test_every_workload_selects_its_own_pods(manifests):
    for doc in manifests:
        if doc["kind"] in {"Deployment", "StatefulSet"}:
            labels = doc["spec"]["template"]["metadata"]["labels"]
            assert _matches(doc["spec"]["selector"], labels), doc["metadata"]["name"]


def test_every_service_pdb_and_network_policy_selects_some_pod(manifests):
    pods = _pod_labels(manifests)
    for doc in manifests:
        if doc["kind"] == "Service":
            selector = {"matchLabels": doc["spec"]["selector"]}
        elif doc["kind"] in {"PodDisruptionBudget", "NetworkPolicy"}:
            selector = doc["spec"].get("selector") or doc["spec"]["podSelector"]
        else:
            continue
        assert any(_matches(selector, labels) for labels in pods), (
            f"{doc['kind']}/{doc['metadata']['name']} selects no pod"
        )


def test_every_long_running_container_has_probes_and_resources(manifests):
    for doc, spec in _pod_specs(manifests):
        for container in spec["containers"] + spec.get("initContainers", []):
            where = f"{doc['kind']}/{doc['metadata']['name']}/{container['name']}"
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container.get("resources", {}).get(bound, {})), (
                    f"{where}: {bound}"
                )
        if doc["kind"] == "Job":
            continue  # runs to completion: nothing to probe
        for container in spec["containers"]:
            where = f"{doc['kind']}/{doc['metadata']['name']}/{container['name']}"
            assert "livenessProbe" in container and "readinessProbe" in container, where


def test_every_app_pod_runs_as_a_non_root_user_without_a_service_account_token(manifests):
    for doc, spec in _pod_specs(manifests):
        assert spec["securityContext"]["runAsNonRoot"] is True, doc["metadata"]["name"]
        assert spec.get("automountServiceAccountToken") is False, doc["metadata"]["name"]
        for container in spec["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_web_probes_health_and_readiness_and_drains_before_it_stops(manifests):
    web = _named(manifests, "Deployment", "web")
    spec = web["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    rolling = web["spec"]["strategy"]["rollingUpdate"]
    assert rolling["maxUnavailable"] == 0 and rolling["maxSurge"] >= 1
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    dockerfile = (DEPLOY / "docker" / "Dockerfile").read_text()
    drain = int(re.search(r'"--timeout-graceful-shutdown", "(\d+)"', dockerfile).group(1))  # type: ignore[union-attr]
    assert spec["terminationGracePeriodSeconds"] > int(pre_stop[1]) + drain


def test_web_waits_for_migrations_and_never_runs_them(manifests):
    spec = _named(manifests, "Deployment", "web")["spec"]["template"]["spec"]
    (init,) = spec["initContainers"]
    assert "migrate --check" in " ".join(init["command"])
    for container in spec["containers"]:
        assert "migrate" not in " ".join(container.get("command", []) + container.get("args", []))


def test_workers_are_probed_by_a_celery_ping_of_themselves(manifests):
    for name, queue in [
        ("worker-inference", "inference"),
        ("worker-default", "default"),
        ("worker-training", "training"),
    ]:
        (container,) = _named(manifests, "Deployment", name)["spec"]["template"]["spec"][
            "containers"
        ]
        assert f"{queue}@%h" in container["args"]
        for probe in ("livenessProbe", "readinessProbe"):
            command = " ".join(container[probe]["exec"]["command"])
            assert f'inspect ping --timeout 10 -d "{queue}@$HOSTNAME"' in command


def test_the_migration_job_is_named_after_the_release(manifests):
    (job,) = _of(manifests, "Job")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    tag = container["image"].rsplit(":", 1)[1]
    assert job["metadata"]["name"] == "migrate-" + tag.replace(".", "-")
    assert container["args"][-2:] == ["migrate", "--noinput"]


def test_images_are_pinned_to_a_tag(manifests):
    for _doc, spec in _pod_specs(manifests):
        for container in spec["containers"] + spec.get("initContainers", []):
            image = container["image"]
            assert ":" in image and not image.endswith(":latest"), image


def test_no_deployment_is_scaled_by_both_an_hpa_and_a_scaled_object(manifests):
    by_hpa = {
        d["spec"]["scaleTargetRef"]["name"] for d in _of(manifests, "HorizontalPodAutoscaler")
    }
    by_keda = {d["spec"]["scaleTargetRef"]["name"] for d in _of(manifests, "ScaledObject")}
    assert by_hpa == {"web"}
    assert by_keda == {"worker-inference"}
    assert not by_hpa & by_keda


def test_inference_workers_scale_on_the_inference_queue(manifests):
    (scaled,) = _of(manifests, "ScaledObject")
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis"
    assert trigger["metadata"]["listName"] == "inference"
    assert scaled["spec"]["minReplicaCount"] >= 1


def test_gpu_pods_ask_for_a_gpu_and_tolerate_the_gpu_taint(manifests):
    for doc, spec in _pod_specs(manifests):
        gpus = [c for c in spec["containers"] if "nvidia.com/gpu" in c["resources"]["limits"]]
        tolerations = {(t["key"], t.get("effect")) for t in spec.get("tolerations", [])}
        if gpus:
            assert ("nvidia.com/gpu", "NoSchedule") in tolerations, doc["metadata"]["name"]
            assert spec.get("nodeSelector"), doc["metadata"]["name"]
            for container in gpus:
                requests = container["resources"]["requests"]
                assert (
                    requests["nvidia.com/gpu"] == container["resources"]["limits"]["nvidia.com/gpu"]
                )
        else:
            assert ("nvidia.com/gpu", "NoSchedule") not in tolerations


def test_the_gpu_overlay_trains_on_a_gpu_with_the_cuda_image():
    spec = _named(rendered("gpu"), "Deployment", "worker-training")["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert "worker-training-gpu:" in container["image"]
    assert "nvidia.com/gpu" not in str(
        _named(rendered("production"), "Deployment", "worker-training")
    )


def test_no_secret_is_committed_and_every_secret_reference_names_inkwell_secrets(manifests):
    assert not _of(manifests, "Secret")
    text = str(manifests)
    names = set(re.findall(r"'secretName': '([^']+)'", text)) | set(
        re.findall(r"'secretKeyRef': \{'name': '([^']+)'", text)
    )
    # inkwell-secrets: made by hand (deploy/README.md); inkwell-tls: by cert-manager.
    assert names == {"inkwell-secrets", "inkwell-tls"}


def test_the_ingress_keeps_sockets_open_and_limits_bodies_like_the_app(manifests):
    (ingress,) = _of(manifests, "Ingress")
    notes = ingress["metadata"]["annotations"]
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(notes["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    body = _human_bytes(notes["nginx.ingress.kubernetes.io/proxy-body-size"])
    assert body == settings.MAX_REQUEST_BYTES


def _peers(docs: list[dict], app: str) -> list[dict]:
    policies = [
        p
        for p in _of(docs, "NetworkPolicy")
        if _matches(p["spec"]["podSelector"], {"app.kubernetes.io/name": app})
        and p["spec"]["podSelector"]
    ]
    return [
        peer for p in policies for rule in p["spec"].get("ingress", []) for peer in rule["from"]
    ]


def test_only_the_app_tier_reaches_postgres_and_redis(manifests):
    (deny,) = [p for p in _of(manifests, "NetworkPolicy") if p["spec"]["podSelector"] == {}]
    assert deny["spec"]["policyTypes"] == ["Ingress"] and "ingress" not in deny["spec"]
    outside = {"ingress-nginx", "monitoring"}
    for app in ("postgres", "redis"):
        peers = _peers(manifests, app)
        assert peers, app
        for peer in peers:
            namespace = peer.get("namespaceSelector", {}).get("matchLabels", {})
            assert namespace.get("kubernetes.io/metadata.name") not in outside, (app, peer)
    # The web pods (the tier the ingress reaches) are data clients; the ingress is not.
    web_labels = _named(manifests, "Deployment", "web")["spec"]["template"]["metadata"]["labels"]
    assert web_labels["inkwell.io/data-client"] == "true"


def test_the_namespace_enforces_the_restricted_pod_security_standard(manifests):
    (namespace,) = _of(manifests, "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("overlay", ["production", "gpu"])
def test_the_required_overlays_exist(overlay):
    assert (Path(DEPLOY) / "k8s" / "overlays" / overlay / "kustomization.yaml").exists()
