"""The teacher's "Live now" socket over the real stack: a student's practice submit goes
through the Celery worker and shows up on the teacher's socket."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from classroom.models import Attempt
from classroom.tests.factories import ExerciseFactory
from recognition.tests.samples import unipen_test_samples
from recognition.tests.sockets import next_of_type, open_socket, session_headers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


async def test_a_students_submit_shows_up_on_the_teachers_live_socket(
    client, classroom, student, teacher, celery_worker
):
    exercise = await database_sync_to_async(ExerciseFactory.create)(
        classroom=classroom, characters="3", repetitions=2
    )
    teacher_headers = await database_sync_to_async(session_headers)(client, teacher)
    live, connected = await open_socket(teacher_headers, f"/ws/classes/{classroom.pk}/live/")
    assert connected

    student_headers = await database_sync_to_async(session_headers)(client, student)
    practice, _ = await open_socket(student_headers, f"/ws/practice/{exercise.pk}/")
    three = unipen_test_samples(labels="3", per_label=1)[0]["strokes"]
    for seq, stroke in enumerate(three, start=1):
        await practice.send_json_to({"type": "stroke", "seq": seq, "points": stroke})
    await practice.send_json_to({"type": "submit", "seq": len(three) + 1})
    result = await next_of_type(practice, "result", timeout=10)

    event = await next_of_type(live, "attempt", timeout=10)
    await practice.disconnect()
    await live.disconnect()

    attempt = await database_sync_to_async(Attempt.objects.get)()
    assert event["attempt_id"] == attempt.pk == result["attempt_id"]
    assert (event["student_id"], event["student_name"]) == (student.pk, "Ada")
    assert (event["target"], event["label"], event["correct"]) == ("3", "3", True)
    assert event["exercise_id"] == exercise.pk and event["score"] == attempt.score


async def test_another_classs_attempts_do_not_reach_the_socket(
    client, classroom, teacher, other_student, celery_worker
):
    from classroom.tasks import recognize_attempt
    from classroom.tests.factories import AttemptFactory

    teacher_headers = await database_sync_to_async(session_headers)(client, teacher)
    live, _ = await open_socket(teacher_headers, f"/ws/classes/{classroom.pk}/live/")
    three = unipen_test_samples(labels="3", per_label=1)[0]["strokes"]
    elsewhere = await database_sync_to_async(AttemptFactory.create)(
        student=other_student, target="3", ink={"strokes": three}, status="pending"
    )
    await database_sync_to_async(recognize_attempt.apply_async)(kwargs={"attempt_id": elsewhere.pk})
    for _ in range(100):  # the worker recognised it (and broadcast to its own class)...
        await asyncio.sleep(0.1)
        await database_sync_to_async(elsewhere.refresh_from_db)()
        if elsewhere.status == Attempt.Status.RECOGNIZED:
            break
    assert elsewhere.status == Attempt.Status.RECOGNIZED
    assert await live.receive_nothing(timeout=1)  # ...and nothing came to this class
    await live.disconnect()
