import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
OVERLAYS = sorted(p.name for p in (DEPLOY / "k8s" / "overlays").iterdir() if p.is_dir())


def kubectl() -> str:
    """kubectl from `make deploy-check`'s tools, else the one on PATH."""
    tools = REPO / "var" / "deploy-tools" / "bin" / "kubectl"
    found = str(tools) if tools.exists() else shutil.which("kubectl")
    if found is None:
        pytest.fail("kubectl not found: run `make deploy-check` once (it installs it)")
    return found


_rendered: dict[str, list[dict]] = {}


def rendered(overlay: str) -> list[dict]:
    if overlay not in _rendered:
        out = subprocess.run(
            [kubectl(), "kustomize", str(DEPLOY / "k8s" / "overlays" / overlay)],
            capture_output=True,
            text=True,
            check=True,
        )
        _rendered[overlay] = [doc for doc in yaml.safe_load_all(out.stdout) if doc]
    return _rendered[overlay]


@pytest.fixture(params=OVERLAYS)
def manifests(request) -> list[dict]:
    return rendered(request.param)
