"""/metrics stays off the public side of the deployment: nginx, run with the real
deploy/nginx/inkwell.conf, never proxies it; Prometheus scrapes the web app with the bearer
token the app reads; the workers' metrics ports are published nowhere."""

import http.client
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from deploy.tests.conftest import DEPLOY, OVERLAYS, rendered

COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class App(BaseHTTPRequestHandler):
    """Stands in for the web app behind nginx: answers every path, and notes it."""

    seen: list[str] = []

    def do_GET(self) -> None:
        App.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "10")
        self.end_headers()
        self.wfile.write(b"from-the-a")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def nginx(tmp_path_factory) -> Iterator[int]:
    """nginx on the real inkwell.conf (only its listen lines moved to free loopback ports),
    proxying to `App`; yields the HTTPS port."""
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if binary is None:
        pytest.fail("nginx not found: run `make deploy-check` once (it installs it)")
    app = ThreadingHTTPServer(("127.0.0.1", 0), App)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    prefix: Path = tmp_path_factory.mktemp("nginx")
    for folder in ("conf/tls", "logs", "temp"):
        (prefix / folder).mkdir(parents=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
         "-days", "1", "-keyout", prefix / "conf/tls/tls.key", "-out", prefix / "conf/tls/tls.crt"],
        check=True, capture_output=True,
    )  # fmt: skip
    http_port, https_port = free_port(), free_port()
    site = (DEPLOY / "nginx" / "inkwell.conf").read_text()
    moves = {
        "listen 80 default_server;": f"listen 127.0.0.1:{http_port} default_server;",
        "listen [::]:80 default_server;": "",
        "listen 443 ssl http2 default_server;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2 default_server;": "",
    }
    for old, new in moves.items():
        assert site.count(old) == 1, old
        site = site.replace(old, new)
    (prefix / "conf/inkwell.conf").write_text(site)
    upstream = (DEPLOY / "nginx" / "upstream-compose.conf").read_text()
    (prefix / "conf/upstream.conf").write_text(
        upstream.replace("server web:8000", f"server 127.0.0.1:{app.server_address[1]}")
    )
    (prefix / "conf/nginx.conf").write_text(f"""
pid {prefix}/nginx.pid;
error_log stderr;
events {{}}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {prefix}/temp/body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;
    access_log off;
    include {prefix}/conf/upstream.conf;
    include {prefix}/conf/inkwell.conf;
}}
""")
    server = subprocess.Popen(
        [binary, "-p", str(prefix), "-c", "conf/nginx.conf", "-e", "stderr", "-g",
         "daemon off; user root;"],
        stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"nginx did not start: {server.stderr.read().decode()}")  # type: ignore[union-attr]
            time.sleep(0.05)
    yield https_port
    server.terminate()
    server.wait(timeout=10)
    app.shutdown()


def get(port: int, path: str) -> tuple[int, bytes]:
    """One GET of `path`, sent exactly as written, over TLS (the test's own certificate)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    connection.putrequest("GET", path, skip_host=True)
    connection.putheader("Host", "inkwell.example")
    connection.endheaders()
    response = connection.getresponse()
    status, body = response.status, response.read()
    connection.close()
    return status, body


@pytest.mark.parametrize(
    "path",
    ["/metrics", "/metrics?format=prometheus", "//metrics", "/./metrics", "/static/../metrics",
     "/%6Detrics", "/healthz/../metrics"],
)  # fmt: skip
def test_nginx_never_proxies_the_metrics(nginx: int, path: str) -> None:
    App.seen.clear()
    status, body = get(nginx, path)
    assert status == 404 and b"from-the-a" not in body
    assert App.seen == []


def test_nginx_proxies_the_other_pages(nginx: int) -> None:
    App.seen.clear()
    assert get(nginx, "/healthz") == (200, b"from-the-a")
    assert App.seen == ["/healthz"]


def _web_job(config: str) -> dict:
    jobs = yaml.safe_load((DEPLOY / "prometheus" / config).read_text())["scrape_configs"]
    return next(job for job in jobs if job["job_name"] == "inkwell-web")


def test_compose_prometheus_scrapes_the_web_app_with_the_apps_token() -> None:
    job = _web_job("prometheus.yml")
    assert job["authorization"]["type"] == "Bearer"
    prometheus, web = COMPOSE["services"]["prometheus"], COMPOSE["services"]["web"]
    mounted = {s["source"]: f"/run/secrets/{s['target']}" for s in prometheus["secrets"]}
    assert job["authorization"]["credentials_file"] == mounted["metrics_token"]
    assert "metrics_token" in web["secrets"]
    assert web["environment"]["METRICS_TOKEN_FILE"] == mounted["metrics_token"]


def test_kubernetes_prometheus_scrapes_the_web_app_with_the_apps_token() -> None:
    job = _web_job("prometheus-k8s.yml")
    assert job["authorization"]["type"] == "Bearer"
    assert job["authorization"]["credentials_file"].endswith("/metrics-token")
    for overlay in OVERLAYS:
        config = next(
            doc for doc in rendered(overlay) if doc["kind"] == "ConfigMap" and
            "METRICS_TOKEN_FILE" in doc.get("data", {})
        )  # fmt: skip
        assert config["data"]["METRICS_TOKEN_FILE"].endswith("/metrics-token")


def test_only_nginx_and_a_loopback_grafana_publish_ports() -> None:
    published = {
        name: service["ports"]
        for name, service in COMPOSE["services"].items()
        if "ports" in service
    }
    assert published == {"nginx": ["80:80", "443:443"], "grafana": ["127.0.0.1:3000:3000"]}
