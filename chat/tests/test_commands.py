"""`manage.py class_discord` and `manage.py discord_register_commands`."""

import json

import pytest
from django.core.management import CommandError, call_command

from chat.models import RelaySettings
from chat.tests.conftest import APPLICATION_ID, webhook_url

pytestmark = pytest.mark.django_db


def test_class_discord_sets_the_webhook(discord, classroom):
    call_command("class_discord", str(classroom.pk), "--webhook", webhook_url(discord))
    relay = RelaySettings.objects.get(pk=classroom.pk)
    assert relay.active and relay.relay_feedback


def test_class_discord_refuses_another_host(discord, classroom):
    with pytest.raises(CommandError, match="Only Discord webhooks"):
        call_command(
            "class_discord",
            str(classroom.pk),
            "--webhook",
            "https://evil.example.com/api/webhooks/1/a",
        )
    assert not RelaySettings.objects.filter(pk=classroom.pk, webhook_id__gt="").exists()


def test_class_discord_off_removes_it(discord, classroom):
    call_command("class_discord", str(classroom.pk), "--webhook", webhook_url(discord))
    call_command("class_discord", str(classroom.pk), "--off")
    assert not RelaySettings.objects.get(pk=classroom.pk).has_webhook


def test_class_discord_of_an_unknown_class_fails(discord):
    with pytest.raises(CommandError):
        call_command("class_discord", "999999", "--off")


def test_register_commands_overwrites_the_applications_commands(discord, settings):
    settings.DISCORD_BOT_TOKEN = "bot-token"
    discord.expect_oneshot_request(
        f"/api/v10/applications/{APPLICATION_ID}/commands",
        method="PUT",
        headers={"Authorization": "Bot bot-token"},
    ).respond_with_json([])
    call_command("discord_register_commands")
    ((request, _),) = discord.log
    names = sorted(c["name"] for c in json.loads(request.get_data()))
    assert names == ["progress", "status"]


def test_register_commands_fails_on_a_refusal(discord, settings):
    settings.DISCORD_BOT_TOKEN = "bad"
    discord.expect_oneshot_request(
        f"/api/v10/applications/{APPLICATION_ID}/commands", method="PUT"
    ).respond_with_json({"message": "401: Unauthorized"}, status=401)
    with pytest.raises(CommandError, match="401"):
        call_command("discord_register_commands")


def test_register_commands_needs_its_settings(settings):
    settings.DISCORD_BOT_TOKEN = ""
    with pytest.raises(CommandError, match="DISCORD_BOT_TOKEN"):
        call_command("discord_register_commands")
