import pytest
from django.core.cache import cache
from django.test import override_settings

from hwr_site.celery import app as celery_app
from recognition.models import ModelVersion
from recognition.selectors import forget_active_model

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_services(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ok_when_every_part_is_up(client, redis_url):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == ["broker", "channel_layer", "database", "model"]


def test_readyz_names_the_broker_when_it_is_down(client, redis_url, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert set(response.json()["failing"]) == {"broker"}


def test_readyz_names_the_channel_layer_when_it_is_down(client, redis_url):
    layers = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert set(response.json()["failing"]) == {"channel_layer"}


def test_readyz_names_the_model_when_it_cannot_load(client, redis_url, tmp_path):
    ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).update(
        artifact_dir=str(tmp_path / "missing")
    )
    forget_active_model()
    try:
        response = client.get("/readyz")
    finally:
        forget_active_model()
    assert response.status_code == 503
    assert set(response.json()["failing"]) == {"model"}


def test_metrics_expose_requests_database_and_cache(client, settings):
    settings.METRICS_TOKEN = "scrape"
    client.get("/healthz")
    cache.set("metrics-probe", 1)
    cache.get("metrics-probe")
    from django.contrib.auth import get_user_model

    get_user_model().objects.count()
    response = client.get("/metrics", headers={"Authorization": "Bearer scrape"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "django_http_requests_total_by_method_total" in body
    assert "django_db_execute_total" in body
    assert "django_cache_get_total" in body


async def test_a_body_over_the_limit_is_refused_before_django_reads_it():
    from channels.testing import HttpCommunicator
    from django.conf import settings

    from hwr_site.asgi import application

    body = b"x" * (settings.MAX_REQUEST_BYTES + 1)
    communicator = HttpCommunicator(application, "POST", "/api/v1/recognize", body=body)
    response = await communicator.get_response(timeout=10)
    assert response["status"] == 413
    assert b"request_too_large" in response["body"]
