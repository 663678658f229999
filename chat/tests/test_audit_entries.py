"""The teacher's actions in a class's room and on attempts leave audit entries: comments,
a message removed, a student muted and unmuted, the room closed and opened. The trail
names what was acted on, never a child's words."""

import pytest

from audit.models import AuditEntry
from chat import services
from chat.models import Message
from classroom.tests.factories import AttemptFactory, ExerciseFactory

pytestmark = pytest.mark.django_db


def entry(action: str) -> AuditEntry:
    (found,) = AuditEntry.objects.filter(action=action)
    return found


def test_a_comment_on_an_attempt_is_recorded(teacher, classroom, student):
    attempt = AttemptFactory.create(
        student=student, exercise=ExerciseFactory.create(classroom=classroom)
    )
    comment = services.comment_add(
        teacher=teacher, attempt=attempt, body="Lovely loops", sticker="star"
    )
    recorded = entry("comment.add")
    assert (recorded.actor, recorded.target_type) == (teacher, "classroom.attempt")
    assert recorded.target_id == str(attempt.pk)
    assert recorded.details == {"comment": comment.pk, "sticker": "star"}


def test_removing_a_message_is_recorded_without_its_words(teacher, classroom, student):
    (message,) = services.message_post(user=student, classroom=classroom, body="my secret")
    services.message_remove(teacher=teacher, classroom=classroom, message_id=message.pk)
    recorded = entry("chat.message_remove")
    assert recorded.actor == teacher and recorded.target_name == "Class 3B"
    assert recorded.details == {"message": message.pk, "author": student.pk}
    assert "secret" not in f"{recorded.target_name}{recorded.details}"


def test_removing_a_message_twice_is_recorded_once(teacher, classroom, student):
    (message,) = services.message_post(user=student, classroom=classroom, body="hi")
    for _ in range(2):
        services.message_remove(teacher=teacher, classroom=classroom, message_id=message.pk)
    assert AuditEntry.objects.filter(action="chat.message_remove").count() == 1


def test_muting_and_unmuting_a_student_are_recorded(teacher, classroom, student):
    services.student_mute(teacher=teacher, classroom=classroom, student_id=student.pk, minutes=10)
    services.student_unmute(teacher=teacher, classroom=classroom, student_id=student.pk)
    muted, unmuted = entry("chat.mute"), entry("chat.unmute")
    assert muted.target_id == unmuted.target_id == str(student.pk)
    assert muted.details == {"classroom": classroom.pk, "minutes": 10}
    assert muted.actor == unmuted.actor == teacher


def test_closing_and_opening_the_room_are_recorded(teacher, classroom):
    services.room_set_closed(teacher=teacher, classroom=classroom, closed=True)
    services.room_set_closed(teacher=teacher, classroom=classroom, closed=True)  # no change
    services.room_set_closed(teacher=teacher, classroom=classroom, closed=False)
    assert entry("chat.room_close").target_id == str(classroom.pk)
    assert entry("chat.room_open").actor == teacher


def test_a_refused_moderation_leaves_no_entry(other_teacher, classroom, student):
    (message,) = services.message_post(user=student, classroom=classroom, body="hi")
    with pytest.raises(services.ChatError):
        services.message_remove(teacher=other_teacher, classroom=classroom, message_id=message.pk)
    assert not AuditEntry.objects.filter(action__startswith="chat.").exists()
    assert Message.objects.get(pk=message.pk).removed_at is None
