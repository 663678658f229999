"""Login cards: a child's picture password or word pair, for their class's sign-in page.

A class's sign-in page is found by its unguessable `sign_in_token` and lists the first names
of its students who have a card; a card's secret opens the child's account there and nowhere
else, and never an account that is not a student's. The secret is shown once, on the printed
card, and stored hashed with `CardSecretHasher`; decision 013 says why that hash is cheap and
how the rate limits (per class, per address, per card: `classroom.views.sign_in`) carry the
weight. Writes here are services as in `classroom.services` (keyword-only, own transaction,
audited); they live beside the card rules they share, since services.py is past 500 lines.
"""

import re
import secrets
from dataclasses import dataclass

import segno
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import audit_record
from classroom.errors import ClassroomError
from classroom.models import Classroom, LoginCard, Membership, User, new_sign_in_token

# static/img/pictures/<name>.svg, drawn for this project: nothing is fetched from outside.
PICTURES = ("apple", "fish", "flower", "heart", "house", "moon", "star", "sun", "tree")
PICTURES_PER_SECRET = 2
# Easy to read and to type for a child; the word pairs of cards and of passwords.
WORDS = (
    "apple", "berry", "cloud", "daisy", "eagle", "frog", "grape", "honey", "igloo", "jelly",
    "kite", "lemon", "mango", "nest", "otter", "panda", "queen", "robin", "sun", "tiger",
    "umbrella", "violet", "whale", "yak", "zebra", "acorn", "bubble", "comet", "dragon", "fern",
    "ant", "bear", "boat", "cake", "cat", "duck", "drum", "egg", "fish", "goat", "hat", "horse",
    "lion", "moon", "mouse", "owl", "pear", "pig", "rain", "ring", "seal", "ship", "snow",
    "star", "tree", "train", "truck", "wolf", "bell", "cow", "fox", "leaf", "rose", "shell",
)  # fmt: skip


class CardSecretHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2 at few iterations (about 1 ms): with 81 picture pairs or 4,096 word
    pairs no hash cost protects the secret from someone holding the table, so the rate limits
    do, and the sign-in page costs the web threads next to nothing (decision 013). Never in
    PASSWORD_HASHERS: a card's hash can never serve as an account's password."""

    algorithm = "pbkdf2_sha256_card"
    iterations = 4_000


_HASHER = CardSecretHasher()


@dataclass(frozen=True)
class CardSecret:
    """What is printed on a card, once: a picture sequence or a word pair."""

    kind: str
    pictures: tuple[str, ...] = ()
    words: str = ""

    @property
    def stored_form(self) -> str:
        return ",".join(self.pictures) if self.kind == LoginCard.Kind.PICTURES else self.words


@dataclass(frozen=True)
class PrintedCard:
    """One card of a sheet to print: the child, and what is new for them (a card's secret, a
    password, or both), shown this once."""

    student: User
    secret: CardSecret | None = None
    password: str | None = None


def _new_secret(kind: str) -> CardSecret:
    rng = secrets.SystemRandom()
    if kind == LoginCard.Kind.PICTURES:
        return CardSecret(kind=kind, pictures=tuple(rng.choices(PICTURES, k=PICTURES_PER_SECRET)))
    if kind == LoginCard.Kind.WORDS:
        return CardSecret(kind=kind, words=f"{rng.choice(WORDS)} {rng.choice(WORDS)}")
    raise ClassroomError("unknown_card_kind", "Choose a picture password or a word pair.")


def card_answer(*, kind: str, raw: str) -> str | None:
    """What a child sent, in a card's stored form ("sun,fish" or "apple tiger"); None when
    it cannot be one (not two known pictures, not two words)."""
    if kind == LoginCard.Kind.PICTURES:
        picked = raw.split(",")
        if len(picked) == PICTURES_PER_SECRET and all(p in PICTURES for p in picked):
            return ",".join(picked)
        return None
    words = re.findall(r"[a-z]+", raw.lower()[:100])  # "Apple-Tiger", " apple  tiger "
    return " ".join(words) if len(words) == 2 else None


def sign_in_qr_svg(url: str) -> str:
    """The class's sign-in address as an inline SVG QR code (segno), with no style attribute
    (the site's CSP): for the teacher's page and every printed card."""
    return segno.make(url, error="m").svg_inline(
        scale=4, border=4, dark="#000", light="#fff", svgclass="qr-code", lineclass=None,
        omitsize=True, title="QR code: the class's sign-in page",
    )  # fmt: skip


# Only a student's account opens with a card: never a teacher's, an admin's, or one that is
# switched off (a card made before a student became a teacher stops working).
CARD_HOLDERS = Q(role=User.Role.STUDENT, is_active=True, is_staff=False, is_superuser=False)


def can_sign_in_with_card(user: User) -> bool:
    """Whether `user` is one of the `CARD_HOLDERS`."""
    return user.is_student and user.is_active and not (user.is_staff or user.is_superuser)


def card_make(*, membership: Membership, kind: str) -> CardSecret:
    """Give the student of `membership` a new card for that class (replacing any old one,
    which stops working); returns the secret to print, which is stored only hashed."""
    if not can_sign_in_with_card(membership.student):
        raise ClassroomError("not_a_student", "Only students have login cards.")
    secret = _new_secret(kind)
    encoded = _HASHER.encode(secret.stored_form, _HASHER.salt())
    with transaction.atomic():
        LoginCard.objects.update_or_create(
            membership=membership,
            defaults={"kind": kind, "secret_hash": encoded, "made_at": timezone.now()},
        )
    return secret


def card_reset(*, actor: User, classroom: Classroom, student: User, kind: str) -> CardSecret:
    """A new card for a student of the class (the old one stops working, and so does its
    count of wrong answers); audited. The caller has checked that `actor` manages the class."""
    membership = classroom.memberships.filter(student=student).select_related("student").first()
    if membership is None:
        raise ClassroomError("not_a_member", "That student is not in this class.")
    with transaction.atomic():
        secret = card_make(membership=membership, kind=kind)
        audit_record(actor=actor, action="card.reset", target=student, classroom=classroom.pk,
                     kind=kind)  # fmt: skip
    return secret


def class_cards_make(
    *, actor: User, classroom: Classroom, kind: str
) -> list[tuple[User, CardSecret]]:
    """Cards for every student of the class who has none (those who joined with a code);
    audited. The caller has checked that `actor` manages the class."""
    memberships = (
        classroom.memberships.filter(login_card__isnull=True)
        .filter(student__in=User.objects.filter(CARD_HOLDERS))
        .select_related("student")
        .order_by("student__first_name", "student__username")
    )
    with transaction.atomic():
        made = [(m.student, card_make(membership=m, kind=kind)) for m in memberships]
        if made:
            audit_record(actor=actor, action="cards.make", target=classroom, kind=kind,
                         students=[s.pk for s, _ in made])  # fmt: skip
    return made


def class_sign_in_renew(*, actor: User, classroom: Classroom) -> Classroom:
    """A new sign-in address for the class: the old one (and its QR code on printed cards)
    stops working, and the class's count of sign-in tries starts afresh; audited."""
    with transaction.atomic():
        classroom.sign_in_token = new_sign_in_token()
        classroom.save(update_fields=["sign_in_token"])
        audit_record(actor=actor, action="sign_in.renew", target=classroom)
    return classroom


def card_sign_in(*, card: LoginCard, raw_answer: str) -> User:
    """The student whose card `card` is, if `raw_answer` is its secret; else ClassroomError
    `bad_answer` (not a picture pair or word pair) or `wrong_answer`. The caller logs them in."""
    student = card.membership.student
    if not can_sign_in_with_card(student):
        raise ClassroomError("not_a_student", "Only students sign in here.", status=404)
    answer = card_answer(kind=card.kind, raw=raw_answer)
    if answer is None:
        pictures = card.kind == LoginCard.Kind.PICTURES
        raise ClassroomError("bad_answer", "Pick two pictures." if pictures else "Type two words.")
    if not _HASHER.verify(answer, card.secret_hash):
        raise ClassroomError("wrong_answer", "That is not it. Try again!")
    return student
