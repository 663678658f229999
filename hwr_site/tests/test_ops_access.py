from django.test import override_settings


def test_metrics_are_off_without_a_token(client, settings):
    assert not settings.DEBUG and not settings.METRICS_TOKEN
    response = client.get("/metrics", headers={"Authorization": "Bearer "})
    assert response.status_code == 404
    assert b"django_http" not in response.content
    assert response.json()["error"]["code"] == "not_found"


@override_settings(DEBUG=True)
def test_a_development_server_shows_metrics_without_a_token(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


@override_settings(METRICS_TOKEN="s3cret-scrape")
def test_metrics_refuse_a_request_without_the_token(client):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"django_http" not in response.content


@override_settings(METRICS_TOKEN="s3cret-scrape")
def test_metrics_refuse_a_wrong_token(client):
    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrapf"})
    assert response.status_code == 401


@override_settings(METRICS_TOKEN="s3cret-scrape")
def test_metrics_answer_the_bearer_of_the_token(client):
    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


def test_the_token_can_come_from_a_file(tmp_path):
    import os
    import subprocess
    import sys

    secret = tmp_path / "metrics_token"
    secret.write_text("from-a-file\n")
    env = {**os.environ, "METRICS_TOKEN": "", "METRICS_TOKEN_FILE": str(secret)}
    code = "from django.conf import settings; print(settings.METRICS_TOKEN)"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**env, "DJANGO_SETTINGS_MODULE": "hwr_site.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "from-a-file"


@override_settings(METRICS_TOKEN="s3cret-scrape")
def test_probes_and_scrapers_may_call_a_pod_by_its_address(client):
    for path in ("/healthz", "/metrics"):
        headers = {"Host": "10.1.2.3:8000", "Authorization": "Bearer s3cret-scrape"}
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path


def test_other_pages_still_refuse_an_unknown_host(client):
    response = client.get("/accounts/login/", headers={"Host": "10.1.2.3:8000"})
    assert response.status_code == 400
