"""Writes for accounts, classes and exercises.

Every service takes keyword-only arguments, owns its transaction and raises
`ClassroomError` (with a stable `code`) for what the domain forbids; pages, the API and
management commands turn that into their own kind of error.
"""

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from audit.services import audit_record
from classroom.cards import WORDS, PrintedCard, card_make
from classroom.errors import ClassroomError
from classroom.formation import demonstration_of
from classroom.models import (
    CHARACTER_CLASSES,
    DEFAULT_TRIES,
    Attempt,
    Classroom,
    Exercise,
    LoginCard,
    Membership,
    TeacherInvitation,
    User,
    new_join_code,
    normalize_join_code,
)
from classroom.selectors import WordPlace, practice_charset
from recognition.answers import recognition_answer
from recognition.engine.guides import Guides
from recognition.engine.ink import parse_ink
from recognition.engine.preprocessing import ink_to_raster, raster_to_png
from recognition.services import ink_assess

UNKNOWN_CODE = "No class has this code. Check it with your teacher."
ARCHIVED = "This class is archived."
ALREADY_MEMBER = "You are already in this class."


def _require_teacher(user: User) -> None:
    if not user.is_teacher:
        raise ClassroomError("not_a_teacher", "Only teachers can do this.")


def user_sign_up(
    *,
    username: str,
    password: str,
    role: str,
    email: str = "",
    first_name: str = "",
    join_code: str = "",
    invitation: str = "",
) -> User:
    """Create an account; a student who gives a join code is in that class at once.

    Both happen or neither does: a bad code leaves no account behind. Teachers are vetted:
    one who signs up gets a student's account that waits for an admin's approval
    (`teacher_approve`).
    """
    if role not in User.Role.values:
        raise ClassroomError("unknown_role", "Choose student or teacher.")
    if join_code and role != User.Role.STUDENT:
        raise ClassroomError("not_a_student", "Only students join classes with a code.")
    with transaction.atomic():
        user = User.objects.create_user(
            username=username,
            password=password,
            email=email,
            role=User.Role.STUDENT,
            first_name=first_name,
            teacher_requested_at=timezone.now() if role == User.Role.TEACHER else None,
        )
        if role == User.Role.TEACHER and invitation:
            _redeem_invitation(user=user, code=invitation)
        elif role == User.Role.TEACHER:
            audit_record(actor=user, action="teacher.request", target=user)
        if join_code:
            class_join(student=user, code=join_code)
    return user


INVITATION_DAYS = 14
# A teacher's invitations waiting to be used: enough for a school's staff room, few enough
# that one careless (or hostile) teacher cannot hand out teacher accounts by the hundred.
MAX_OPEN_INVITATIONS = 10


def teacher_invite(*, actor: User, note: str = "") -> TeacherInvitation:
    """A single-use invitation to sign up as a teacher, valid INVITATION_DAYS days, from an
    admin or a teacher (at most MAX_OPEN_INVITATIONS open at once); audited."""
    if not (actor.is_staff or actor.is_teacher):
        raise ClassroomError("not_allowed", "Only admins and teachers invite teachers.")
    note = " ".join(note.split())[: TeacherInvitation._meta.get_field("note").max_length or 100]
    with transaction.atomic():
        # The lock on the actor's row makes the count final: two tabs cannot both pass it.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        still_open = TeacherInvitation.objects.filter(
            created_by=actor, used_at__isnull=True, revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).count()  # fmt: skip
        if still_open >= MAX_OPEN_INVITATIONS and not actor.is_staff:
            raise ClassroomError(
                "too_many_invitations",
                f"You have {still_open} invitations waiting to be used: revoke one first.",
            )
        invitation = TeacherInvitation.objects.create(
            created_by=actor, note=note,
            expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
        )  # fmt: skip
        audit_record(actor=actor, action="teacher.invite", target=invitation)
    return invitation


def teacher_invitation_revoke(*, actor: User, invitation: TeacherInvitation) -> TeacherInvitation:
    """Withdraw an invitation nobody has used yet: its link stops working; audited. Its
    maker or an admin revokes it."""
    if invitation.created_by_id != actor.pk and not actor.is_staff:
        raise ClassroomError("not_allowed", "Only whoever made an invitation revokes it.")
    with transaction.atomic():
        locked = TeacherInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.used_at is not None:
            raise ClassroomError("invitation_used", "This invitation has been used already.")
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit_record(actor=actor, action="teacher.invite_revoke", target=locked)
    return locked


def _redeem_invitation(*, user: User, code: str) -> None:
    invitation = (
        TeacherInvitation.objects.select_for_update()
        .filter(code=code.strip(), used_by__isnull=True, revoked_at__isnull=True,
                expires_at__gt=timezone.now())
        .first()
    )  # fmt: skip
    if invitation is None:
        raise ClassroomError(
            "bad_invitation", "This invitation is unknown, used, revoked or expired."
        )
    invitation.used_by, invitation.used_at = user, timezone.now()
    invitation.save(update_fields=["used_by", "used_at"])
    user.role, user.teacher_requested_at = User.Role.TEACHER, None
    user.save(update_fields=["role", "teacher_requested_at"])
    audit_record(actor=user, action="teacher.invited_sign_up", target=user,
                 invited_by=invitation.created_by_id)  # fmt: skip


def teacher_approve(*, actor: User, user: User) -> User:
    """An admin makes a waiting sign-up a teacher; audited."""
    if not actor.is_staff:
        raise ClassroomError("not_an_admin", "Only an admin approves teachers.")
    with transaction.atomic():
        user.role = User.Role.TEACHER
        user.teacher_requested_at = None
        user.save(update_fields=["role", "teacher_requested_at"])
        audit_record(actor=actor, action="teacher.approve", target=user)
    return user


def class_create(*, teacher: User, name: str) -> Classroom:
    """A new class taught by `teacher`, with a fresh join code."""
    _require_teacher(teacher)
    with transaction.atomic():
        for _ in range(5):
            try:
                with transaction.atomic():
                    return Classroom.objects.create(
                        teacher=teacher, name=name.strip(), join_code=new_join_code()
                    )
            except IntegrityError:
                continue  # 32**8 codes: a clash is rare, five in a row means a real fault
        raise ClassroomError("no_code", "Could not pick a free join code; try again.")


def class_rename(*, classroom: Classroom, name: str) -> Classroom:
    """Give a class a new name."""
    with transaction.atomic():
        classroom.name = name.strip()
        classroom.save(update_fields=["name"])
    return classroom


def class_set_spoken_prompts(*, classroom: Classroom, spoken: bool) -> Classroom:
    """Turn the practice page's spoken prompts and praise on or off for the class."""
    with transaction.atomic():
        classroom.spoken_prompts = spoken
        classroom.save(update_fields=["spoken_prompts"])
    return classroom


def class_set_archived(*, classroom: Classroom, archived: bool) -> Classroom:
    """Archive a class (no one can join, students stop seeing its work) or bring it back."""
    with transaction.atomic():
        classroom.archived_at = (classroom.archived_at or timezone.now()) if archived else None
        classroom.save(update_fields=["archived_at"])
    return classroom


def class_regenerate_code(*, classroom: Classroom) -> Classroom:
    """A new join code; the old one stops working. Members stay members."""
    old = classroom.join_code
    for _ in range(5):
        classroom.join_code = new_join_code()
        if classroom.join_code == old:
            continue
        try:
            with transaction.atomic():
                classroom.save(update_fields=["join_code"])
            return classroom
        except IntegrityError:
            continue
    classroom.join_code = old
    raise ClassroomError("no_code", "Could not pick a free join code; try again.")


def class_join(*, student: User, code: str) -> Membership:
    """Join the class whose code is `code` (spaces, hyphens and case ignored)."""
    if not student.is_student:
        raise ClassroomError("not_a_student", "Only students join classes with a code.")
    normalized = normalize_join_code(code)
    with transaction.atomic():
        classroom = Classroom.objects.filter(join_code=normalized).first()
        if classroom is None:
            raise ClassroomError("unknown_code", UNKNOWN_CODE)
        if classroom.is_archived:
            raise ClassroomError("class_archived", ARCHIVED)
        membership, created = Membership.objects.get_or_create(classroom=classroom, student=student)
        if not created:
            raise ClassroomError("already_member", ALREADY_MEMBER)
    return membership


def class_leave(*, student: User, classroom: Classroom) -> None:
    """The student leaves the class; their attempts stay for the teacher's records."""
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(classroom=classroom, student=student).delete()
    if not deleted:
        raise ClassroomError("not_a_member", "You are not in this class.")


def class_remove_student(*, classroom: Classroom, student: User) -> None:
    """The teacher takes a student off the roster (audited)."""
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(classroom=classroom, student=student).delete()
        if deleted:
            audit_record(actor=classroom.teacher, action="roster.remove", target=student,
                         classroom=classroom.pk)  # fmt: skip
    if not deleted:
        raise ClassroomError("not_a_member", f"{student} is not in this class.")


@dataclass(frozen=True)
class ExerciseFields:
    title: str
    characters: str
    repetitions: int
    order: str
    case_rule: str
    due_at: datetime | None
    show_tracing: bool
    tries: int = DEFAULT_TRIES
    kind: str = Exercise.Kind.CHARACTERS
    words: str = ""


def _apply(exercise: Exercise, fields: ExerciseFields) -> None:
    exercise.title = fields.title.strip()
    if exercise.pk is None:  # the kind is chosen once: attempts are counted by it
        exercise.kind = fields.kind
    if exercise.kind not in Exercise.Kind.values:
        raise ValidationError({"kind": "Choose characters, words or own name."}, code="bad_kind")
    exercise.words, exercise.characters = Exercise.stored_fields(
        kind=exercise.kind, words=fields.words, characters="".join(fields.characters.split())
    )
    exercise.repetitions = fields.repetitions
    exercise.order = fields.order
    exercise.case_rule = fields.case_rule
    exercise.due_at = fields.due_at
    exercise.show_tracing = fields.show_tracing
    exercise.tries = fields.tries
    exercise.full_clean(exclude=["classroom"])


def exercise_create(*, classroom: Classroom, fields: ExerciseFields) -> Exercise:
    """A new exercise for the class; raises ValidationError on bad fields."""
    exercise = Exercise(classroom=classroom)
    _apply(exercise, fields)
    with transaction.atomic():
        exercise.save()
    return exercise


def exercise_update(*, exercise: Exercise, fields: ExerciseFields) -> Exercise:
    """Change an exercise; attempts already made keep counting."""
    _apply(exercise, fields)
    with transaction.atomic():
        exercise.save()
    return exercise


def exercise_set_archived(*, exercise: Exercise, archived: bool) -> Exercise:
    """Hide an exercise from students (kept with its attempts) or show it again."""
    with transaction.atomic():
        exercise.archived = archived
        exercise.save(update_fields=["archived"])
    return exercise


def class_set_training_use(*, classroom: Classroom, allowed: bool) -> Classroom:
    """Allow (or stop) the class's verified attempts being used to retrain the recogniser."""
    with transaction.atomic():
        classroom.allow_training_use = allowed
        classroom.save(update_fields=["allow_training_use"])
        audit_record(actor=classroom.teacher, action="class.training_use", target=classroom,
                     allowed=allowed)  # fmt: skip
    return classroom


def attempt_set_verdict(
    *, attempt: Attempt, teacher: User, correct: bool | None, label: str = ""
) -> Attempt:
    """The teacher's verdict on a recognised attempt, which overrules the recogniser.

    `correct` becomes the verdict (so every figure follows the teacher) and `label` the
    character the child really wrote (the target when confirmed correct without one).
    `correct=None` withdraws the verdict: the recogniser's reading counts again.
    """
    exercise = attempt.exercise
    if exercise.classroom.teacher_id != teacher.pk:
        raise ClassroomError("not_your_class", "Only the class's teacher can judge its attempts.")
    if attempt.status != Attempt.Status.RECOGNIZED:
        raise ClassroomError("attempt_pending", "Wait until the attempt has been checked.")
    label = label.strip()
    if label and (len(label) != 1 or label not in CHARACTER_CLASSES):
        raise ClassroomError("unknown_character", "The true character must be a digit or a letter.")
    if (
        correct is not None
        and label
        and exercise.accepts(target=attempt.target, label=label) != correct
    ):
        raise ClassroomError(
            "verdict_mismatch",
            f"“{label}” is {'not ' if correct else ''}what was asked ({attempt.target}): "
            f"mark it {'wrong' if correct else 'correct'} instead.",
        )
    with transaction.atomic():
        if correct is None:
            read = attempt.predicted_label
            attempt.correct = bool(read) and exercise.accepts(target=attempt.target, label=read)
            attempt.verified, attempt.verified_label = False, ""
            attempt.verified_by, attempt.verified_at = None, None
        else:
            attempt.correct = correct
            attempt.verified = True
            attempt.verified_label = label or (attempt.target if correct else "")
            attempt.verified_by = teacher
            attempt.verified_at = timezone.now()
        attempt.save(
            update_fields=["correct", "verified", "verified_label", "verified_by", "verified_at"]
        )
        action = "verdict.set" if correct is not None else "verdict.withdraw"
        audit_record(actor=teacher, action=action, target=attempt, correct=correct,
                     label=attempt.verified_label)  # fmt: skip
    return attempt


# Practice: attempts


def _submission_id(strokes: list[Any]) -> str:
    """Without an id from the client, the same drawing (points and timings) is one attempt:
    a re-send after a reconnect must not store it twice, even if the plan moved on."""
    canonical = json.dumps(strokes, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def attempt_submit(
    *,
    student: User,
    exercise: Exercise,
    target: str,
    strokes: list[Any],
    time_taken_ms: int | None,
    submission_id: str | None = None,
    guides: Guides | None = None,
    place: WordPlace | None = None,
) -> tuple[Attempt, bool]:
    """Store what the student drew for `target`, before anything else happens to it.

    Returns the attempt and whether it is new: the same `submission_id` (or, without one,
    the same drawing) returns the attempt already stored. The ink is validated first
    (InkError: nothing is stored); `guides` are the canvas's lines it was drawn on. The
    attempt starts `pending` and is recognised and assessed by `attempt_recognize`. In a
    words exercise `place` says which letter of which write of a word it is (its target).
    """
    if place is not None and place.letter != target:
        raise ClassroomError("bad_target", "The target is not the letter of the word.")
    ink = parse_ink(strokes)
    image = raster_to_png(ink_to_raster(ink), scale=2)
    with transaction.atomic():
        attempt, created = Attempt.objects.get_or_create(
            student=student,
            exercise=exercise,
            client_submission_id=submission_id or _submission_id(strokes),
            defaults={
                "target": target,
                "ink": {"strokes": strokes},
                "image": image,
                "time_taken_ms": time_taken_ms,
                "guides": guides.as_dict() if guides is not None else None,
                "word": place.word if place is not None else "",
                "word_write": place.write if place is not None else None,
                "letter_index": place.index if place is not None else None,
            },
        )
    return attempt, created


def attempt_recognize(*, attempt_id: int) -> Attempt:
    """Recognise and assess a pending attempt with the active model (idempotent: a
    recognised attempt is returned as it is).

    The recognition (after the attempt's guides) decides `predicted_label` and `correct`;
    the assessment against the target's stroke plans gives the `checks` and the `score`
    (legibility first, docs/formation.md) and what to demonstrate when a check failed.
    """
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().select_related("exercise").get(pk=attempt_id)
        if attempt.status == Attempt.Status.RECOGNIZED:
            return attempt
        charset = practice_charset(exercise=attempt.exercise)
        assessment = ink_assess(
            strokes=attempt.ink,
            target=attempt.target,
            charset=charset,
            guides=attempt.guides,
            source="attempt",
        )
        recognition = assessment.recognition
        payload = recognition_answer(recognition)
        label = "" if recognition.rejected else (recognition.label or "")
        attempt.predicted_label = label
        attempt.candidates = payload["candidates"]
        attempt.confidence = recognition.confidence
        attempt.model_version = recognition.model_version
        attempt.recognition_latency_ms = recognition.latency_ms
        attempt.correct = bool(label) and attempt.exercise.accepts(
            target=attempt.target, label=label
        )
        attempt.score = assessment.score
        attempt.checks = [c.as_dict() for c in assessment.checks]
        attempt.failed_checks = ",".join(c.name for c in assessment.checks if not c.ok)
        attempt.demonstration = demonstration_of(assessment)
        attempt.status = Attempt.Status.RECOGNIZED
        attempt.save()
    return attempt


def student_lockout_clear(*, actor: User, classroom: Classroom, student: User) -> None:
    """Let a student of `classroom` sign in again at once: forget the wrong passwords that
    locked their account (django-axes); audited. The caller has checked that `actor` manages
    the class; the student must be one of its members."""
    from axes.utils import reset

    if not classroom.memberships.filter(student=student).exists():
        raise ClassroomError("not_a_member", "That student is not in this class.")
    with transaction.atomic():
        reset(username=student.username)
        audit_record(actor=actor, action="lockout.clear", target=student, classroom=classroom.pk)


def attempts_purge(*, older_than_days: int) -> int:
    """Delete every attempt (ink, image, verdict) stored more than `older_than_days` days
    ago, for the retention setting; audited. Returns how many were deleted."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    with transaction.atomic():
        _, by_model = Attempt.objects.filter(created_at__lt=cutoff).delete()
        attempts = by_model.get(Attempt._meta.label, 0)
        if attempts:
            audit_record(actor=None, action="attempts.purge", older_than_days=older_than_days,
                         deleted=attempts)  # fmt: skip
    return attempts


def student_export_record(*, actor: User, student: User, form: str = "json") -> None:
    """Note in the audit trail that `actor` exported the student's data (`form`: "json"
    for the download, "page" for the readable page)."""
    audit_record(actor=actor, action="student.export", target=student, form=form)


def class_export_record(*, actor: User, classroom: Classroom, filters: dict[str, str]) -> None:
    """Note in the audit trail that `actor` downloaded the class's attempts (CSV), with the
    filters they used."""
    audit_record(actor=actor, action="class.export_csv", target=classroom, filters=filters)


def student_delete(*, actor: User, student: User) -> None:
    """Delete a student's account and everything stored about them (their attempts, so
    future training sets lose them too, their sign-in records; chat blanks their messages
    through `pre_delete`); audited. A teacher may delete only a student who is
    in none of another teacher's classes (the caller has checked the class)."""
    if not student.is_student:
        raise ClassroomError("not_a_student", "Only students' accounts are deleted here.")
    if not actor.is_staff and student.memberships.exclude(classroom__teacher=actor).exists():
        raise ClassroomError(
            "other_teachers", "This student is in another teacher's class too: ask an admin."
        )
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    with transaction.atomic():
        audit_record(actor=actor, action="student.delete", target=student,
                     attempts=student.attempts.count())  # fmt: skip
        # Django-axes keeps sign-ins by username (with the address and browser): theirs go too.
        for log in (AccessAttempt, AccessFailureLog, AccessLog):
            log.objects.filter(username=student.username).delete()
        student.delete()


def user_delete(*, actor: User, user: User) -> None:
    """An admin deletes an account (in the admin): a student's goes with everything stored
    about them (`student_delete`); any other is audited as `user.delete`."""
    if not actor.is_staff:
        raise ClassroomError("not_an_admin", "Only an admin deletes accounts here.")
    if user.is_student and not user.is_staff:
        student_delete(actor=actor, student=user)
        return
    with transaction.atomic():
        audit_record(actor=actor, action="user.delete", target=user, role=user.role)
        user.delete()


def attempts_delete(*, actor: User, attempt_ids: list[int]) -> int:
    """An admin deletes attempts (in the admin), one audit entry each. Returns how many."""
    if not actor.is_staff:
        raise ClassroomError("not_an_admin", "Only an admin deletes attempts here.")
    with transaction.atomic():
        attempts = list(
            Attempt.objects.filter(pk__in=attempt_ids).select_related("student").defer("image")
        )
        for attempt in attempts:
            audit_record(actor=actor, action="attempt.delete", target=attempt,
                         student=attempt.student_id)  # fmt: skip
        Attempt.objects.filter(pk__in=[a.pk for a in attempts]).delete()
    return len(attempts)


# Class-managed accounts: children need no email and no password rules of their own.

MAX_NEW_STUDENTS = 60


def word_pair_password() -> str:
    """A password a child can read and type: two words and two digits (apple-tiger-42)."""
    rng = secrets.SystemRandom()
    return f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{rng.randrange(10, 100)}"


def _readable_username(name: str) -> str:
    base = slugify(name).replace("-", ".")[:20] or "student"
    for _ in range(50):
        candidate = f"{base}.{secrets.randbelow(90) + 10}"
        if not User.objects.filter(username=candidate).exists():
            return candidate
    raise ClassroomError("no_username", "Could not find a free username; try again.")


def class_add_students(
    *,
    classroom: Classroom,
    names: Sequence[str | tuple[str, str]],
    card_kind: str = LoginCard.Kind.PICTURES,
) -> list[PrintedCard]:
    """The teacher adds students by name (a whole name, or a first and a last name): each
    gets a readable unique username, a word-pair password and a login card of `card_kind`
    for the class's sign-in page, returned once (to print) and stored only hashed; audited."""
    pairs = [(n, "") if isinstance(n, str) else n for n in names]
    people = [(first.strip()[:150], last.strip()[:150]) for first, last in pairs if first.strip()]
    if not people:
        raise ClassroomError("no_names", "Type at least one name.")
    if len(people) > MAX_NEW_STUDENTS:
        raise ClassroomError("too_many", f"At most {MAX_NEW_STUDENTS} students at a time.")
    created = []
    with transaction.atomic():
        for first, last in people:
            password = word_pair_password()
            user = User.objects.create_user(
                username=_readable_username(f"{first} {last}"),
                password=password,
                first_name=first,
                last_name=last,
            )
            membership = Membership.objects.create(classroom=classroom, student=user)
            secret = card_make(membership=membership, kind=card_kind)
            created.append(PrintedCard(student=user, secret=secret, password=password))
        audit_record(actor=classroom.teacher, action="roster.add", target=classroom,
                     students=[c.student.pk for c in created])  # fmt: skip
    return created


def student_password_reset(*, actor: User, classroom: Classroom, student: User) -> str:
    """A new word-pair password for a student of the class, returned once; audited. The
    caller has checked that `actor` manages the class."""
    if not classroom.memberships.filter(student=student).exists():
        raise ClassroomError("not_a_member", "That student is not in this class.")
    if not student.is_student:
        raise ClassroomError("not_a_student", "Only students' passwords are reset here.")
    password = word_pair_password()
    with transaction.atomic():
        student.set_password(password)
        student.save(update_fields=["password"])
        audit_record(actor=actor, action="password.reset", target=student, classroom=classroom.pk)
    return password
