#!/usr/bin/env bash
# promtool on the scrape configs (with the token file they name stood in by a temporary one),
# the alert rules, and the rules' unit tests.
set -euo pipefail
dir="$(cd "$(dirname "$0")/../prometheus" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "token" >"$tmp/metrics_token"
for config in "$dir"/prometheus.yml "$dir"/prometheus-k8s.yml; do
  sed -e "s#credentials_file: .*#credentials_file: $tmp/metrics_token#" \
      -e "s#/etc/prometheus/rules/\*.yml#$dir/rules/*.yml#" "$config" >"$tmp/$(basename "$config")"
  promtool check config "$tmp/$(basename "$config")"
done
promtool check rules "$dir"/rules/*.yml
promtool test rules "$dir"/tests/*.yml
