"""Teacher feedback on attempts: the API (CONTRACTS section 6), the attempt page's form,
the student's room and page, milestones, and deliveries through a real Celery worker."""

import json
import time

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from chat import services
from chat.models import Comment, Delivery, Message
from chat.tests.conftest import WEBHOOK_PATH
from chat.tests.factories import relay_to
from chat.tests.sockets import join, next_frame
from classroom.tests.factories import AttemptFactory, ExerciseFactory


@pytest.fixture
def attempt(classroom, student):
    exercise = ExerciseFactory.create(classroom=classroom, characters="ab", repetitions=2)
    return AttemptFactory.create(student=student, exercise=exercise, target="a", score=81)


@pytest.mark.django_db
def test_the_api_stores_a_comment_and_answers_201(client_as, teacher, attempt):
    response = client_as(teacher).post(
        f"/api/v1/attempts/{attempt.pk}/comments",
        json.dumps({"body": "Great curve!", "sticker": "star"}),
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    comment = Comment.objects.get()
    assert body["id"] == comment.pk and body["body"] == "Great curve!" and body["sticker"] == "star"
    message = Message.objects.get(kind="feedback")
    assert message.attempt_id == attempt.pk and message.recipient_id == attempt.student_id
    assert body["message_id"] == message.pk


@pytest.mark.django_db
def test_an_empty_comment_is_refused(client_as, teacher, attempt):
    response = client_as(teacher).post(
        f"/api/v1/attempts/{attempt.pk}/comments", {"body": "   "}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "empty_message"
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_the_attempt_page_shows_the_form_to_the_teacher_and_the_comment_to_the_student(
    client_as, teacher, student, attempt
):
    teacher_page = client_as(teacher).get(reverse("attempt_detail", kwargs={"pk": attempt.pk}))
    assert 'id="comment-form"' in teacher_page.content.decode()
    sent = client_as(teacher).post(
        reverse("attempt_comment", kwargs={"pk": attempt.pk}),
        {"body": "Look at <b>this</b> https://example.com/x", "sticker": "rocket"},
    )
    assert sent.status_code == 302
    page = client_as(student).get(reverse("attempt_detail", kwargs={"pk": attempt.pk}))
    html = page.content.decode()
    assert 'id="comment-form"' not in html
    assert "Look at &lt;b&gt;this&lt;/b&gt;" in html  # escaped, never markup
    assert '<a href="https://example.com/x"' in html and "🚀" in html


@pytest.mark.django_db(transaction=True)
async def test_the_student_sees_the_comment_in_the_room_linked_to_the_attempt(
    client, teacher, student, attempt
):
    socket = await join(client, student, attempt.exercise.classroom_id)
    await next_frame(socket, "room")
    await database_sync_to_async(services.comment_add)(
        teacher=teacher, attempt=attempt, body="Nice a!", sticker="thumbs_up"
    )
    frame = await next_frame(socket, "message")
    assert frame["kind"] == "feedback" and frame["body"] == "Nice a!"
    assert frame["role"] == "teacher" and frame["sticker"] == "thumbs_up"
    assert frame["attempt"] == {
        "id": attempt.pk,
        "url": f"/attempts/{attempt.pk}/",
        "target": "a",
        "score": 81,
    }
    await socket.disconnect()


@pytest.mark.django_db
def test_a_comment_on_another_teachers_attempt_is_refused(other_teacher, attempt):
    with pytest.raises(services.ChatError) as refused:
        services.comment_add(teacher=other_teacher, attempt=attempt, body="Hi")
    assert refused.value.code == "not_allowed"


@pytest.mark.django_db
def test_finishing_an_exercise_tells_the_room_and_relays_the_milestone(
    django_capture_on_commit_callbacks, discord, classroom, student
):
    relay_to(discord, classroom, milestones=True)
    exercise = ExerciseFactory.create(
        classroom=classroom, title="Ab", characters="ab", repetitions=1
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        AttemptFactory.create(student=student, exercise=exercise, target="a")
        last = AttemptFactory.create(student=student, exercise=exercise, target="b")
    for callback in callbacks:  # the signal's checks (announcements and tasks aside)
        if callback.__qualname__.endswith("check"):
            callback()
    (milestone,) = Message.objects.filter(kind="milestone")
    assert milestone.body == "🎉 1 of 1 finished Ab."
    assert Delivery.objects.get(kind="milestone").payload["content"] == milestone.body
    services.milestone_check(attempt_id=last.pk)  # asked again: said once
    assert Message.objects.filter(kind="milestone").count() == 1


@pytest.mark.django_db
def test_public_bot_answers_are_relayed_when_the_class_asks(discord, classroom, student):
    relay_to(discord, classroom, bot=True)
    ExerciseFactory.create(classroom=classroom, title="Ab", characters="ab")
    services.message_post(user=student, classroom=classroom, body="/next")
    services.message_post(user=student, classroom=classroom, body="/progress")  # private
    (delivery,) = Delivery.objects.all()
    assert delivery.kind == "bot" and "Next: Ab" in delivery.payload["content"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_a_worker_delivers_after_two_500s_once(
    discord, discord_worker, classroom, teacher, attempt
):
    relay_to(discord, classroom)
    for status in (500, 500, 204):
        discord.expect_ordered_request(WEBHOOK_PATH, method="POST").respond_with_data(
            "", status=status
        )
    comment = services.comment_add(teacher=teacher, attempt=attempt, body="Keep going")
    delivery = Delivery.objects.get(idempotency_key=f"comment-{comment.pk}")
    for _ in range(150):
        delivery.refresh_from_db()
        if delivery.status in (Delivery.Status.DELIVERED, Delivery.Status.DEAD):
            break
        time.sleep(0.1)
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 3
    assert [response.status_code for _, response in discord.log] == [500, 500, 204]
