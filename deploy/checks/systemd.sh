#!/usr/bin/env bash
# systemd-analyze verify on deploy/systemd/ inside a throwaway root holding the host's
# system units and stand-ins for the venv's executables. verify exits 0 on some findings
# (an unparsable line is "ignored"), so any output at all fails the check.
set -euo pipefail
units="$(cd "$(dirname "$0")/../systemd" && pwd)"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/opt/inkwell/venv/bin" "$root/etc/systemd/system" "$root/usr/lib/systemd"
cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
for exe in uvicorn celery; do
  printf '#!/bin/sh\n' >"$root/opt/inkwell/venv/bin/$exe"
  chmod +x "$root/opt/inkwell/venv/bin/$exe"
done
cp "$units"/*.service "$units"/*.target "$root/etc/systemd/system/"
cd "$root/etc/systemd/system"
ln -s inkwell-web@.service inkwell-web@8001.service
ln -s inkwell-worker@.service inkwell-worker@inference.service
report="$(systemd-analyze verify --man=no --root="$root" inkwell.target \
  inkwell-web@8001.service inkwell-worker@inference.service inkwell-beat.service 2>&1)" || {
  echo "$report"; exit 1; }
if [ -n "$report" ]; then echo "$report"; exit 1; fi
echo "systemd units: verified (inkwell.target, inkwell-web@, inkwell-worker@, inkwell-beat)"
