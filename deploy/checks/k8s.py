"""Render every Kubernetes overlay and validate what comes out.

Built-in kinds go to `kubernetes-validate --strict` (for the oldest and newest Kubernetes we
support); custom resources go to check-jsonschema with the schemas vendored in
deploy/k8s/schemas/. A kind with neither is a failure, not a warning.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[1]
TOOLS = Path(sys.executable).parent
KUBERNETES_VERSIONS = ("1.31.0", "1.37.0")
CUSTOM_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): DEPLOY / "k8s/schemas/keda-scaledobject-v1alpha1.json",
}


def render(kustomization: Path) -> list[dict]:
    out = subprocess.run(
        [str(TOOLS / "kubectl"), "kustomize", str(kustomization)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def check(name: str, docs: list[dict], workdir: Path) -> list[str]:
    failures: list[str] = []
    builtin = [
        d for d in docs if "." not in d["apiVersion"].split("/")[0] or "k8s.io" in d["apiVersion"]
    ]
    custom = [d for d in docs if d not in builtin]
    builtin_file = workdir / f"{name}-builtin.yaml"
    builtin_file.write_text(yaml.safe_dump_all(builtin))
    for version in KUBERNETES_VERSIONS:
        run = subprocess.run(
            [
                str(TOOLS / "kubernetes-validate"),
                "--strict",
                "--quiet",
                "-k",
                version,
                str(builtin_file),
            ],
            capture_output=True,
            text=True,
        )
        report = (run.stdout + run.stderr).strip()
        if run.returncode != 0 or "WARN" in report or "ERROR" in report:
            failures.append(f"{name} (Kubernetes {version}):\n{report}")
    for doc in custom:
        schema = CUSTOM_SCHEMAS.get((doc["apiVersion"], doc["kind"]))
        label = f"{name}: {doc['kind']}/{doc['metadata']['name']}"
        if schema is None:
            failures.append(f"{label}: no vendored schema for {doc['apiVersion']}")
            continue
        instance = workdir / f"{name}-{doc['kind']}-{doc['metadata']['name']}.json"
        instance.write_text(json.dumps(doc))
        run = subprocess.run(
            [str(TOOLS / "check-jsonschema"), "--schemafile", str(schema), str(instance)],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            failures.append(f"{label}:\n{run.stdout}{run.stderr}")
    kinds = sorted({d["kind"] for d in docs})
    print(f"k8s {name}: {len(docs)} resources ({', '.join(kinds)})")
    return failures


def main() -> int:
    targets = [
        DEPLOY / "k8s/base",
        *sorted(p for p in (DEPLOY / "k8s/overlays").iterdir() if p.is_dir()),
    ]
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for target in targets:
            failures += check(target.name, render(target), Path(tmp))
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
