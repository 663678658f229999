"""Relaying to Discord against a fake Discord (a real HTTP server on this machine): what
is sent, and what each answer (204, 404, 429, 5xx, a timeout) leads to."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from werkzeug import Response

from chat import discord as transport
from chat import services
from chat.models import Delivery, RelaySettings
from chat.tests.conftest import WEBHOOK_PATH, WEBHOOK_TOKEN, webhook_url
from chat.tests.factories import relay_to
from classroom.tests.factories import AttemptFactory, ExerciseFactory

pytestmark = pytest.mark.django_db


def make_delivery(classroom, key="k1", content="Hello class") -> Delivery:
    delivery = services.relay_enqueue(
        classroom=classroom, kind="feedback", key=key, content=content
    )
    assert delivery is not None
    return delivery


def due_now(delivery: Delivery) -> None:
    """The scheduled time of the next try has come."""
    Delivery.objects.filter(pk=delivery.pk).update(next_try_at=timezone.now())


def waited(delivery: Delivery) -> timedelta:
    """From the last try to the next one scheduled."""
    assert delivery.next_try_at is not None and delivery.last_try_at is not None
    return delivery.next_try_at - delivery.last_try_at


def sent_bodies(server) -> list[dict]:
    return [json.loads(request.get_data()) for request, _ in server.log]


# Webhook URLs


def test_it_accepts_a_webhook_on_discords_origin_and_keeps_the_token_secret(discord, classroom):
    relay = relay_to(discord, classroom)
    relay.refresh_from_db()
    assert relay.webhook_id == "1234567890"
    assert WEBHOOK_TOKEN not in relay.webhook_token_sealed
    assert transport.unseal(relay.webhook_token_sealed) == WEBHOOK_TOKEN
    assert WEBHOOK_TOKEN not in relay.webhook_display
    assert relay.webhook_display.endswith(WEBHOOK_TOKEN[-4:])


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/api/webhooks/1/abc",
        "http://169.254.169.254/api/webhooks/1/abc",
        "{origin}/api/webhooks/1/abc?wait=true",
        "{origin}/api/webhooks/notanumber/abc",
        "{origin}/webhooks/1/abc",
        "{origin}/api/users/@me",
        "{origin}@evil.example.com/api/webhooks/1/abc",
        "not a url",
    ],
)
def test_it_rejects_a_webhook_that_is_not_discords(discord, classroom, url):
    origin = discord.url_for("/").rstrip("/")
    with pytest.raises(services.ChatError):
        services.relay_configure(classroom=classroom, webhook_url=url.format(origin=origin))
    assert not RelaySettings.objects.filter(pk=classroom.pk, webhook_id__gt="").exists()


def test_the_default_origin_is_discords_own(settings, classroom):
    settings.DISCORD_API_BASE = "https://discord.com/api/v10"
    relay = services.relay_configure(
        classroom=classroom, webhook_url="https://discord.com/api/webhooks/99/secret-token"
    )
    assert relay.webhook_id == "99"
    with pytest.raises(services.ChatError):
        services.relay_configure(
            classroom=classroom, webhook_url="https://discord.com.evil.io/api/webhooks/99/x"
        )


# What is sent


def test_a_delivery_posts_to_the_webhook_with_mentions_off(discord, classroom):
    relay_to(discord, classroom)
    discord.expect_oneshot_request(WEBHOOK_PATH, method="POST").respond_with_data("", status=204)
    delivery = make_delivery(classroom, content="@everyone look <@123>")
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 1
    (body,) = sent_bodies(discord)
    assert body["allowed_mentions"] == {"parse": []}
    assert body["content"] == "@everyone look <@123>"


def test_content_and_embeds_are_cut_to_discords_limits():
    payload = transport.message_payload(
        content="x" * 5000,
        embeds=[{"title": "t" * 400, "description": "d" * 5000}, {"description": "e" * 5000}],
    )
    assert len(payload["content"]) == 2000
    first = payload["embeds"][0]
    assert len(first["title"]) == 256 and len(first["description"]) == 4096
    total = sum(len(e.get("title", "")) + len(e.get("description", "")) for e in payload["embeds"])
    assert total <= 6000


def test_feedback_on_an_attempt_is_an_embed_with_character_score_and_ink(
    discord, classroom, teacher, student
):
    relay_to(discord, classroom)
    exercise = ExerciseFactory.create(classroom=classroom)
    attempt = AttemptFactory.create(student=student, exercise=exercise, target="b", score=77)
    discord.expect_oneshot_request(WEBHOOK_PATH, method="POST").respond_with_data("", status=204)
    comment = services.comment_add(teacher=teacher, attempt=attempt, body="Lovely loop!")
    delivery = Delivery.objects.get(idempotency_key=f"comment-{comment.pk}")
    services.delivery_attempt(delivery_id=delivery.pk)
    ((request, _),) = discord.log
    assert request.content_type.startswith("multipart/form-data")
    payload = json.loads(request.form["payload_json"])
    (embed,) = payload["embeds"]
    assert "“b”" in embed["title"] and "Lovely loop!" in embed["description"]
    assert "score 77" in embed["footer"]["text"]
    assert embed["thumbnail"]["url"] == "attachment://ink.png"
    png = request.files["files[0]"].read()
    assert png.startswith(b"\x89PNG")
    assert payload["allowed_mentions"] == {"parse": []}


def test_a_class_that_turned_feedback_off_relays_none(discord, classroom):
    relay_to(discord, classroom, feedback=False)
    assert (
        services.relay_enqueue(classroom=classroom, kind="feedback", key="x", content="hi") is None
    )


def test_one_event_is_one_delivery_however_often_it_is_enqueued(discord, classroom):
    relay_to(discord, classroom)
    first = make_delivery(classroom, key="same")
    second = make_delivery(classroom, key="same")
    assert first.pk == second.pk and Delivery.objects.count() == 1


# Answers and what follows


def test_a_delivery_that_fails_twice_with_500_then_succeeds_is_delivered_once(discord, classroom):
    relay_to(discord, classroom)
    for status in (500, 500, 204):
        discord.expect_ordered_request(WEBHOOK_PATH, method="POST").respond_with_data(
            "", status=status
        )
    delivery = make_delivery(classroom)
    for _ in range(3):
        services.delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        if delivery.status == Delivery.Status.PENDING:
            # Backoff with jitter: at least half the step, at most the step, from the try.
            step = 2.0 * 2 ** (delivery.attempts - 1)
            wait = waited(delivery).total_seconds()
            assert step / 2 <= wait <= step + 1
            due_now(delivery)
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.attempts == 3
    assert [response.status_code for _, response in discord.log] == [500, 500, 204]


def test_a_429_is_retried_no_sooner_than_discord_says(discord, classroom):
    relay_to(discord, classroom)
    discord.expect_oneshot_request(WEBHOOK_PATH, method="POST").respond_with_json(
        {"message": "You are being rate limited.", "retry_after": 7.5, "global": False},
        status=429,
    )
    delivery = make_delivery(classroom)
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert waited(delivery) >= timedelta(seconds=7.5)
    # Run early (a duplicate task), it does nothing: no second request.
    services.delivery_attempt(delivery_id=delivery.pk)
    assert len(discord.log) == 1


def test_a_429_without_a_body_waits_what_retry_after_says(discord, classroom):
    relay_to(discord, classroom)
    discord.expect_oneshot_request(WEBHOOK_PATH, method="POST").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "12"})
    )
    delivery = make_delivery(classroom)
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert waited(delivery) >= timedelta(seconds=12)


def test_a_404_disables_the_webhook_and_tells_the_teacher(discord, classroom, teacher, client_as):
    relay_to(discord, classroom)
    discord.expect_oneshot_request(WEBHOOK_PATH, method="POST").respond_with_json(
        {"message": "Unknown Webhook", "code": 10015}, status=404
    )
    delivery = make_delivery(classroom, key="a")
    waiting = make_delivery(classroom, key="b")
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    waiting.refresh_from_db()
    assert delivery.status == Delivery.Status.DEAD
    assert waiting.status == Delivery.Status.DEAD  # never called again
    relay = RelaySettings.objects.get(pk=classroom.pk)
    assert relay.disabled_at is not None and not relay.active
    assert make_delivery_or_none(classroom) is None
    page = client_as(teacher).get(f"/classes/{classroom.pk}/").content.decode()
    assert 'id="discord-disabled"' in page and "no longer exists" in page
    services.delivery_attempt(delivery_id=waiting.pk)
    assert len(discord.log) == 1


def make_delivery_or_none(classroom):
    return services.relay_enqueue(classroom=classroom, kind="feedback", key="c", content="x")


def test_another_4xx_is_permanent(discord, classroom):
    relay_to(discord, classroom)
    discord.expect_oneshot_request(WEBHOOK_PATH, method="POST").respond_with_json(
        {"message": "Cannot send an empty message", "code": 50006}, status=400
    )
    delivery = make_delivery(classroom)
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DEAD and delivery.attempts == 1
    assert "400" in delivery.last_error
    assert RelaySettings.objects.get(pk=classroom.pk).active  # only a 404 disables


def test_a_timeout_is_retried(discord, classroom, settings):
    import time

    settings.DISCORD_TIMEOUT_S = 0.3
    relay_to(discord, classroom)

    def slow(request):
        time.sleep(1)
        return Response("", status=204)

    discord.expect_oneshot_request(WEBHOOK_PATH, method="POST").respond_with_handler(slow)
    delivery = make_delivery(classroom)
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.last_error.startswith("network")
    assert waited(delivery) > timedelta(0)


def test_after_the_last_try_it_is_a_dead_letter_and_resend_starts_again(
    discord, classroom, settings
):
    settings.DISCORD_MAX_TRIES = 3
    relay_to(discord, classroom)
    discord.expect_request(WEBHOOK_PATH, method="POST").respond_with_data("down", status=503)
    delivery = make_delivery(classroom)
    for _ in range(3):
        services.delivery_attempt(delivery_id=delivery.pk)
        due_now(delivery)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DEAD and delivery.attempts == 3
    assert "503" in delivery.last_error
    services.delivery_resend(delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 0


def test_admin_lists_dead_letters_and_resends_them(discord, classroom, staff, client_as):
    relay_to(discord, classroom)
    discord.expect_oneshot_request(WEBHOOK_PATH, method="POST").respond_with_data("", status=400)
    delivery = make_delivery(classroom, key="dead-one")
    services.delivery_attempt(delivery_id=delivery.pk)
    admin = client_as(staff)
    staff.is_superuser = True
    staff.save()
    listing = admin.get("/admin/chat/deadletter/").content.decode()
    assert "dead-one" in listing
    response = admin.post(
        "/admin/chat/deadletter/",
        {"action": "resend", "_selected_action": [delivery.pk]},
        follow=True,
    )
    assert "1 queued again" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING


def test_the_webhook_token_never_appears_on_pages(discord, classroom, teacher, staff, client_as):
    relay_to(discord, classroom)
    staff.is_superuser = True
    staff.save()
    page = client_as(teacher).get(f"/classes/{classroom.pk}/").content.decode()
    admin = (
        client_as(staff).get(f"/admin/chat/relaysettings/{classroom.pk}/change/").content.decode()
    )
    assert WEBHOOK_TOKEN not in page and WEBHOOK_TOKEN not in admin
    assert WEBHOOK_TOKEN[-4:] in page


def test_the_class_page_form_sets_and_removes_the_webhook(discord, classroom, teacher, client_as):
    client = client_as(teacher)
    response = client.post(
        f"/classes/{classroom.pk}/discord/",
        {"webhook_url": webhook_url(discord), "relay_feedback": "on", "relay_milestones": "on"},
    )
    assert response.status_code == 302
    relay = RelaySettings.objects.get(pk=classroom.pk)
    assert relay.active and relay.relay_milestones and not relay.relay_bot
    client.post(f"/classes/{classroom.pk}/discord/", {"action": "remove"})
    assert not RelaySettings.objects.get(pk=classroom.pk).has_webhook


def test_the_class_page_form_refuses_another_host(discord, classroom, teacher, client_as):
    response = client_as(teacher).post(
        f"/classes/{classroom.pk}/discord/",
        {"webhook_url": "https://evil.example.com/api/webhooks/1/abc"},
        follow=True,
    )
    assert "Only Discord webhooks" in response.content.decode()
    assert not RelaySettings.objects.filter(pk=classroom.pk, webhook_id__gt="").exists()


def test_metrics_count_messages_deliveries_dead_letters_and_latency(
    discord, classroom, client, student, settings
):
    settings.METRICS_TOKEN = "scrape"
    relay_to(discord, classroom)
    discord.expect_ordered_request(WEBHOOK_PATH, method="POST").respond_with_data("", status=204)
    discord.expect_ordered_request(WEBHOOK_PATH, method="POST").respond_with_data("", status=400)
    services.message_post(user=student, classroom=classroom, body="hi")
    for key in ("ok", "bad"):
        services.delivery_attempt(delivery_id=make_delivery(classroom, key=key).pk)
    text = client.get("/metrics", headers={"Authorization": "Bearer scrape"}).content.decode()
    assert 'inkwell_discord_deliveries{status="delivered"} 1.0' in text
    assert 'inkwell_discord_deliveries{status="dead"} 1.0' in text
    assert 'inkwell_chat_messages_total{kind="text"}' in text
    assert "inkwell_discord_dead_letters_total" in text
    assert "inkwell_discord_delivery_seconds_bucket" in text
