#!/usr/bin/env bash
# `make deploy-check`: install the validators (once), then run every one of them offline on
# deploy/ and the CI workflow. Exits non-zero on the first failing check.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
tools="$repo/var/deploy-tools"
export DEPLOY_TOOLS="$tools"
started=$SECONDS

step() { printf '\n== %s\n' "$*"; }

# --- Validators ---------------------------------------------------------------------------
if [ ! -f "$tools/.installed" ] || [ deploy/requirements-tools.txt -nt "$tools/.installed" ]; then
  step "Installing the Python validators into var/deploy-tools"
  "${PYTHON:-python3.11}" -m venv "$tools"
  "$tools/bin/pip" install --quiet --upgrade pip
  "$tools/bin/pip" install --quiet -r deploy/requirements-tools.txt
  touch "$tools/.installed"
fi
missing=()
command -v nginx >/dev/null || missing+=(nginx-core)
command -v promtool >/dev/null || missing+=(prometheus)
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v openssl >/dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  step "Installing ${missing[*]} from apt"
  # Never start the services these packages ship (in a container, or on a shared host).
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export PATH="$tools/bin:$PATH"

# --- Checks -------------------------------------------------------------------------------
step "hadolint deploy/docker/Dockerfile"
hadolint deploy/docker/Dockerfile
echo "hadolint: no findings"

step "Compose file against the compose-spec schema"
check-jsonschema --builtin-schema vendor.compose-spec deploy/compose.yaml

step "Kubernetes: kubectl kustomize | kubernetes-validate --strict, ScaledObjects against vendored schemas"
python deploy/checks/k8s.py

step "nginx -t and gixy"
bash deploy/checks/nginx.sh

step "Prometheus: promtool check config, check rules, test rules"
bash deploy/checks/prometheus.sh

step "Ansible: syntax check and ansible-lint (production profile)"
(
  cd deploy/ansible
  ansible-playbook -i inventory.example.ini -e inkwell_vars_file=vars.example.yml --syntax-check site.yml
  ansible-lint --offline --profile production -q site.yml
  echo "ansible-lint: no findings"
)

step "systemd-analyze verify"
bash deploy/checks/systemd.sh

step "CI workflow against the GitHub workflow schema; shellcheck (warnings and errors) on the scripts"
check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/ci.yml
shellcheck --severity=warning deploy/check.sh deploy/checks/*.sh .ci/run
echo "shellcheck: no findings"

step "Semantic rules of the deploy files (pytest deploy/tests)"
make --no-print-directory test PYTEST_ARGS="deploy/tests hwr_site/tests/test_serving_without_tensorflow.py -q"

echo
echo "deploy-check: every check passed in $((SECONDS - started)) s"
