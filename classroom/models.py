"""People and classes: users with a role, classes with join codes, memberships,
the exercises teachers set and the attempts students make."""

import random
import secrets
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from classroom.words import NAME_CHARSET, letters_of, name_word, parse_words
from recognition.engine.labels import CLASSES

# No 0/O or 1/I: codes are read aloud and copied from a board by children.
JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalize_join_code(raw: str) -> str:
    """A code as typed ("hap py-pen ") in the stored form ("HAPPYPEN")."""
    return "".join(ch for ch in raw if ch not in " -\t").upper()


def new_sign_in_token() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits


def display_join_code(code: str) -> str:
    """Two groups of four are easier to read aloud and copy from a board."""
    return f"{code[:4]}-{code[4:]}" if len(code) == JOIN_CODE_LENGTH else code


class User(AbstractUser):
    """A student or a teacher; staff users are the platform's admins."""

    class Role(models.TextChoices):
        STUDENT = "student", "Student"
        TEACHER = "teacher", "Teacher"

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT)
    # Children often have no email address: usernames work alone.
    email = models.EmailField("email address", blank=True)
    # Teachers are vetted: a teacher's sign-up is a student's account until an admin approves.
    teacher_requested_at = models.DateTimeField(null=True, blank=True)

    # `createsuperuser --noinput` needs only DJANGO_SUPERUSER_USERNAME and _PASSWORD.
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    @property
    def is_teacher(self) -> bool:
        return self.role == self.Role.TEACHER

    @property
    def is_student(self) -> bool:
        return self.role == self.Role.STUDENT

    @property
    def awaits_teacher_approval(self) -> bool:
        return self.teacher_requested_at is not None and not self.is_teacher

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Classroom(models.Model):
    name = models.CharField(max_length=100)
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="taught_classes"
    )
    join_code = models.CharField(max_length=JOIN_CODE_LENGTH, unique=True, default=new_join_code)
    # The class's sign-in page (the QR code on its login cards) is found by this, never by
    # the id: the page lists the children's first names (classroom.cards).
    sign_in_token = models.CharField(max_length=32, unique=True, default=new_sign_in_token)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    allow_training_use = models.BooleanField(
        "allow retraining on verified attempts",
        default=False,
        help_text="Attempts the teacher has verified may be used to retrain the recogniser.",
    )
    spoken_prompts = models.BooleanField(
        "spoken prompts and praise",
        default=False,
        help_text="The practice page reads the character to write and the feedback aloud "
        "(the browser's own voice; nothing is fetched).",
    )
    students: "models.ManyToManyField[User, Membership]" = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="classes"
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "class"
        verbose_name_plural = "classes"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("class_detail", kwargs={"pk": self.pk})

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def join_code_display(self) -> str:
        return display_join_code(self.join_code)


class Membership(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="memberships")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["classroom", "student"], name="unique_membership")
        ]
        ordering = ["joined_at"]

    def __str__(self) -> str:
        return f"{self.student} in {self.classroom}"


class LoginCard(models.Model):
    """A child's picture password or word pair, good only on the sign-in page of the class
    of `membership` (classroom.cards). The secret is shown once, on the printed card."""

    class Kind(models.TextChoices):
        PICTURES = "pictures", "Picture password"
        WORDS = "words", "Word pair"

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="login_card"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PICTURES)
    secret_hash = models.CharField(max_length=128)
    # A new card (a reset) starts its wrong-answer count afresh: the count is keyed by this.
    made_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.membership}"


# The 62 classes the recogniser knows (CONTRACTS section 2).
CHARACTER_CLASSES = CLASSES  # CONTRACTS section 2, defined by the engine
MAX_REPETITIONS = 20
DEFAULT_TRIES = 3
MAX_TRIES = 9
# Letters whose upper and lower case differ only in size, so a child's "s" and "S" are the
# same shape on a canvas. With the lenient case rule these accept either case.
LENIENT_CASE_LETTERS = frozenset("cCkKoOpPsSuUvVwWxXyYzZ")


def validate_characters(value: str) -> None:
    """Characters must come from the 62 classes, each at most once."""
    if not value:
        raise ValidationError("Enter at least one character.", code="empty")
    unknown = sorted({ch for ch in value if ch not in CHARACTER_CLASSES})
    if unknown:
        shown = " ".join(repr(ch) for ch in unknown)
        raise ValidationError(
            f"Only digits 0-9 and letters A-Z, a-z can be practised, not {shown}.",
            code="unknown_character",
        )
    repeated = sorted({ch for ch in value if value.count(ch) > 1})
    if repeated:
        raise ValidationError(
            f"Each character may appear once (use repetitions to practise it more): "
            f"{' '.join(repeated)}.",
            code="repeated_character",
        )


class Exercise(models.Model):
    """Characters a teacher asks a class to practise, each a number of times; or words, or
    each student's own name, written letter by letter (`classroom.words`)."""

    class Kind(models.TextChoices):
        CHARACTERS = "characters", "Characters"
        WORDS = "words", "Words"
        OWN_NAME = "own_name", "Each student's own name"

    class Order(models.TextChoices):
        AS_WRITTEN = "as_written", "As written"
        SHUFFLED = "shuffled", "Shuffled"

    class CaseRule(models.TextChoices):
        STRICT = "strict", "Strict: upper and lower case must match"
        LENIENT = "lenient", "Lenient: c k o p s u v w x y z accept either case"

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="exercises")
    title = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CHARACTERS)
    # Words: the teacher's words, one space between them; `characters` then holds their
    # letters (each once), and an own-name exercise every letter a name may use.
    words = models.CharField(max_length=160, blank=True)
    characters = models.CharField(
        max_length=len(CHARACTER_CLASSES),
        validators=[validate_characters],
        help_text="Digits and letters to practise, for example 0123456789 or aeiou.",
    )
    repetitions = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REPETITIONS)],
        help_text=f"How many times each character is written (1 to {MAX_REPETITIONS}).",
    )
    order = models.CharField(max_length=16, choices=Order.choices, default=Order.AS_WRITTEN)
    case_rule = models.CharField(max_length=16, choices=CaseRule.choices, default=CaseRule.STRICT)
    due_at = models.DateTimeField("due", null=True, blank=True)
    show_tracing = models.BooleanField(
        "show a model to trace", default=True, help_text="A faded character to write over."
    )
    tries = models.PositiveSmallIntegerField(
        "tries before moving on",
        default=DEFAULT_TRIES,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TRIES)],
        help_text="After a drawing that is not quite right the student tries again, with a "
        f"demonstration, up to this many times (1 to {MAX_TRIES}); then the character comes "
        "back later.",
    )
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = [models.F("due_at").asc(nulls_last=True), "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(repetitions__gte=1, repetitions__lte=MAX_REPETITIONS),
                name="exercise_repetitions_range",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.due_at is not None and self.due_at < timezone.now()

    @property
    def total_writes(self) -> int:
        """Writes to finish a characters or words exercise (an own name: `words_for`)."""
        if self.kind == self.Kind.WORDS:
            return len(self.word_list) * self.repetitions
        return len(self.characters) * self.repetitions

    @classmethod
    def stored_fields(cls, *, kind: str, words: str, characters: str) -> tuple[str, str]:
        """The `words` and `characters` stored for an exercise of `kind`: a words exercise
        keeps its checked words and practises their letters, an own-name one has no words and
        may use every letter a name can have, a characters one has no words. Raises
        ValidationError (on `words`) for bad words."""
        if kind == cls.Kind.WORDS:
            try:
                checked = parse_words(words)
            except ValidationError as error:
                raise ValidationError({"words": error}) from None
            return " ".join(checked), letters_of(checked)
        if kind == cls.Kind.OWN_NAME:
            return "", NAME_CHARSET
        return "", characters

    @property
    def is_words(self) -> bool:
        """Practised word by word, letter by letter: words or the student's own name."""
        return self.kind != self.Kind.CHARACTERS

    @property
    def word_list(self) -> list[str]:
        return self.words.split()

    def words_for(self, student: "User") -> list[str]:
        """The words `student` practises: the teacher's, or their own name (none when their
        name has no letter that can be practised)."""
        if self.kind == self.Kind.OWN_NAME:
            word = name_word(student).word
            return [word] if word else []
        return self.word_list

    def accepts(self, *, target: str, label: str) -> bool:
        """Whether the recognised `label` counts as a correct `target` under the case rule."""
        if label == target:
            return True
        return (
            self.case_rule == self.CaseRule.LENIENT
            and target in LENIENT_CASE_LETTERS
            and label.lower() == target.lower()
        )

    def targets(self, *, seed: int | None = None) -> list[str]:
        """The characters in the order a student writes them, each `repetitions` times."""
        sequence = [ch for ch in self.characters for _ in range(self.repetitions)]
        if self.order == self.Order.SHUFFLED:
            random.Random(seed).shuffle(sequence)
        return sequence

    def practice_url(self) -> str:
        # The practice page belongs to the live path; fall back to its documented path.
        try:
            return reverse("practice", kwargs={"exercise_id": self.pk})
        except NoReverseMatch:
            return f"/practice/{self.pk}/"


class Attempt(models.Model):
    """One character a student wrote for an exercise, with what the recogniser saw."""

    class Status(models.TextChoices):
        RECOGNIZED = "recognized", "Recognized"
        PENDING = "pending", "Pending"

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts"
    )
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="attempts")
    target = models.CharField(max_length=1)
    # In a words exercise: the word, which write of a word this is (1, 2, ... for the
    # student in the exercise) and the target's place in the word.
    word = models.CharField(max_length=16, blank=True)
    word_write = models.PositiveIntegerField(null=True, blank=True)
    letter_index = models.PositiveSmallIntegerField(null=True, blank=True)
    ink = models.JSONField(help_text="Strokes with timings, as CONTRACTS section 1.")
    image = models.BinaryField(blank=True, default=b"")
    predicted_label = models.CharField(max_length=1, blank=True)
    candidates = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    model_version = models.CharField(max_length=32, blank=True)
    correct = models.BooleanField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    recognition_latency_ms = models.FloatField(null=True, blank=True)
    time_taken_ms = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # A teacher's verdict overrules the recogniser: `correct` then holds the verdict and
    # `verified_label` the character the child really wrote.
    verified = models.BooleanField(default=False)
    verified_label = models.CharField(max_length=1, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="verified_attempts",
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    client_submission_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Formation (CONTRACTS section 8): the canvas's guide lines as drawn on, the checks of
    # the assessment, and the plan (index in the target's plans) and stroke to demonstrate.
    guides = models.JSONField(null=True, blank=True)
    checks = models.JSONField(default=list, blank=True)
    # The names of the failed checks, comma-separated in CONTRACTS order: the dashboard's
    # "needs help" counts read them from the covering index, not from the JSON.
    failed_checks = models.CharField(max_length=96, blank=True)
    demonstration = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A double submit (retry, double tap) stores one attempt.
            models.UniqueConstraint(
                fields=["student", "exercise", "client_submission_id"],
                name="unique_attempt_submission",
            )
        ]
        indexes = [
            models.Index(fields=["exercise", "student"], name="attempt_exercise_student"),
            models.Index(fields=["student", "created_at"], name="attempt_student_created"),
            # Covers every dashboard aggregate (PostgreSQL index-only scans): the rows carry
            # ink and an image, and reading those pages made a 20,000-attempt class slow.
            # Key columns rather than INCLUDE, which SQLite (embedded mode) does not know.
            # `id` too: the aggregates count ids, and without it every scan read the table.
            models.Index(
                fields=[
                    "exercise",
                    "created_at",
                    "student",
                    "target",
                    "predicted_label",
                    "correct",
                    "status",
                    "score",
                    "verified",
                    "failed_checks",
                    "id",
                ],
                name="attempt_dashboard_cover",
            ),
            # The few attempts still waiting: the sweep and the dead-letter metric.
            models.Index(
                fields=["created_at"],
                name="attempt_pending",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} wrote {self.target!r} ({self.get_status_display()})"

    @property
    def passed(self) -> bool:
        """Recognised as the target with every formation check that applies passed."""
        return bool(self.correct) and all(c.get("ok") for c in self.checks or [])


def new_invitation_code() -> str:
    return secrets.token_urlsafe(12)


class TeacherInvitation(models.Model):
    """A single-use, expiring code with which a teacher signs up as a teacher at once."""

    class State(models.TextChoices):
        OPEN = "open", "Waiting to be used"
        USED = "used", "Used"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    code = models.CharField(max_length=32, unique=True, default=new_invitation_code)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations_sent"
    )
    # Who it is for, as the inviter wrote it down (only they and admins see it).
    note = models.CharField("for whom", max_length=100, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    used_by = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitation_used",
    )
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Invitation {self.code[:6]}… by {self.created_by}"

    @property
    def state(self) -> str:
        """Used, revoked, expired or open (in that order: a used one stays used)."""
        if self.used_at is not None:
            return self.State.USED
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.OPEN

    def get_state_display(self) -> str:
        return self.State(self.state).label
