#!/usr/bin/env bash
# `nginx -t` and gixy on the real deploy/nginx/inkwell.conf, inside a throwaway prefix: the
# upstream names only resolve inside Compose, so the check's upstream file points them at
# loopback, and a one-day self-signed certificate stands in for the real one.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
tools="${DEPLOY_TOOLS:-$repo/var/deploy-tools}"
prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
mkdir -p "$prefix/conf/tls" "$prefix/logs" "$prefix/temp"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
  -keyout "$prefix/conf/tls/tls.key" -out "$prefix/conf/tls/tls.crt" 2>/dev/null
sed 's/server web:8000/server 127.0.0.1:8000/' "$repo/deploy/nginx/upstream-compose.conf" \
  >"$prefix/conf/upstream.conf"
cat >"$prefix/conf/nginx.conf" <<CONF
pid $prefix/nginx.pid;
error_log stderr;
events {}
http {
    include /etc/nginx/mime.types;
    client_body_temp_path $prefix/temp/body;
    proxy_temp_path $prefix/temp/proxy;
    fastcgi_temp_path $prefix/temp/fastcgi;
    uwsgi_temp_path $prefix/temp/uwsgi;
    scgi_temp_path $prefix/temp/scgi;
    access_log off;
    include $prefix/conf/upstream.conf;
    include $repo/deploy/nginx/inkwell.conf;
}
CONF
nginx -t -q -p "$prefix" -c conf/nginx.conf
"$tools/bin/gixy" "$prefix/conf/nginx.conf"
