"""Discord's interactions endpoint: signatures checked with a generated Ed25519 key pair,
PING, and slash commands answered for linked users only, deferred then edited by a task."""

import json
import time

import pytest
from nacl.signing import SigningKey

from chat import services
from chat.models import DiscordLink
from chat.tests.conftest import APPLICATION_ID
from classroom.tests.factories import (
    AttemptFactory,
    ExerciseFactory,
    MembershipFactory,
    StudentFactory,
)

pytestmark = pytest.mark.django_db

CHANNEL = "777000111"
TEACHER_DISCORD = "5550001"
STUDENT_DISCORD = "5550002"


def signed(key: SigningKey, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = key.sign(stamp.encode() + body).signature.hex()
    return {"HTTP_X_SIGNATURE_ED25519": signature, "HTTP_X_SIGNATURE_TIMESTAMP": stamp}


def post(client, body: bytes, headers: dict[str, str]):
    return client.post("/discord/interactions", body, content_type="application/json", **headers)


PING = json.dumps({"type": 1, "id": "1", "application_id": APPLICATION_ID}).encode()


def test_a_signed_ping_answers_pong(client, signing_key):
    response = post(client, PING, signed(signing_key, PING))
    assert response.status_code == 200
    assert response.json() == {"type": 1}


def test_a_signature_from_another_key_is_401(client, signing_key):
    response = post(client, PING, signed(SigningKey.generate(), PING))
    assert response.status_code == 401


def test_a_tampered_body_is_401(client, signing_key):
    headers = signed(signing_key, PING)
    tampered = PING.replace(b'"id": "1"', b'"id": "2"')
    assert post(client, tampered, headers).status_code == 401


def test_a_stale_timestamp_is_401_even_when_signed(client, signing_key):
    old = int(time.time()) - 301
    assert post(client, PING, signed(signing_key, PING, timestamp=old)).status_code == 401


def test_missing_or_garbled_headers_are_401(client, signing_key):
    assert post(client, PING, {}).status_code == 401
    garbled = {"HTTP_X_SIGNATURE_ED25519": "zz", "HTTP_X_SIGNATURE_TIMESTAMP": "soon"}
    assert post(client, PING, garbled).status_code == 401


def test_without_a_public_key_everything_is_401(client, signing_key, settings):
    settings.DISCORD_PUBLIC_KEY = ""
    assert post(client, PING, signed(signing_key, PING)).status_code == 401


def command(name: str, discord_user: str, channel: str = CHANNEL, **options: str) -> bytes:
    return json.dumps(
        {
            "type": 2,
            "token": "interaction-token-1",
            "channel_id": channel,
            "member": {"user": {"id": discord_user, "username": "someone"}},
            "data": {
                "name": name,
                "options": [{"name": k, "type": 3, "value": v} for k, v in options.items()],
            },
        }
    ).encode()


@pytest.fixture
def linked(classroom, teacher, student):
    services.relay_configure(classroom=classroom, discord_channel_id=CHANNEL)
    DiscordLink.objects.create(classroom=classroom, discord_user_id=TEACHER_DISCORD, user=teacher)
    DiscordLink.objects.create(classroom=classroom, discord_user_id=STUDENT_DISCORD, user=student)
    return classroom


def test_an_unlinked_discord_user_gets_a_private_refusal(client, signing_key, linked):
    body = command("progress", "999", student="ada")
    response = post(client, body, signed(signing_key, body))
    answer = response.json()
    assert answer["type"] == 4 and answer["data"]["flags"] == 64
    assert "not linked" in answer["data"]["content"]


def test_a_linked_user_in_another_channel_is_refused(client, signing_key, linked):
    body = command("status", TEACHER_DISCORD, channel="123")
    assert post(client, body, signed(signing_key, body)).json()["type"] == 4


def test_a_linked_teacher_gets_a_deferred_answer(client, signing_key, linked):
    body = command("progress", TEACHER_DISCORD, student="ada")
    response = post(client, body, signed(signing_key, body))
    assert response.json() == {"type": 5, "data": {"flags": 64}}


def test_progress_for_the_teacher_names_any_student(linked, teacher, student):
    exercise = ExerciseFactory.create(classroom=linked, title="Abc", characters="ab", repetitions=1)
    AttemptFactory.create(student=student, exercise=exercise, target="a", correct=True)
    text = services.interaction_answer(
        classroom_id=linked.pk, user_id=teacher.pk, command="progress", student_name="Ada"
    )
    assert "Ada" in text and "Abc: 1/2" in text


def test_progress_for_a_student_is_their_own_only(linked, student):
    other = StudentFactory.create(username="bo", first_name="Bo")
    MembershipFactory.create(classroom=linked, student=other)
    mine = services.interaction_answer(
        classroom_id=linked.pk, user_id=student.pk, command="progress", student_name=""
    )
    theirs = services.interaction_answer(
        classroom_id=linked.pk, user_id=student.pk, command="progress", student_name="bo"
    )
    assert mine.startswith("Ada")
    assert "only your own" in theirs and "Bo" not in theirs


def test_status_is_for_the_teacher_only(linked, teacher, student):
    refused = services.interaction_answer(
        classroom_id=linked.pk, user_id=student.pk, command="status", student_name=""
    )
    answered = services.interaction_answer(
        classroom_id=linked.pk, user_id=teacher.pk, command="status", student_name=""
    )
    assert "Only the teacher" in refused
    assert answered.startswith("Model ") and "inference queue" in answered


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_a_task_edits_the_deferred_answer_into_the_real_one(
    client, signing_key, linked, discord, discord_worker
):
    path = f"/api/v10/webhooks/{APPLICATION_ID}/interaction-token-1/messages/@original"
    discord.expect_oneshot_request(path, method="PATCH").respond_with_json({"id": "1"})
    body = command("progress", TEACHER_DISCORD, student="ada")
    assert post(client, body, signed(signing_key, body)).json()["type"] == 5
    for _ in range(100):
        if discord.log:
            break
        time.sleep(0.1)
    ((request, _),) = discord.log
    sent = json.loads(request.get_data())
    assert sent["content"].startswith("Ada") and sent["allowed_mentions"] == {"parse": []}
