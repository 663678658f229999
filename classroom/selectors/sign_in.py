"""A class's sign-in page: the class its token opens, the names on it, a child's card."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import QuerySet

from classroom.cards import CARD_HOLDERS
from classroom.models import Classroom, LoginCard, User


@dataclass(frozen=True)
class SignInName:
    student_id: int
    name: str
    kind: str


def sign_in_classroom(*, token: str) -> Classroom | None:
    """The class whose sign-in page `token` opens; None for an unknown token or an archived
    class."""
    return Classroom.objects.filter(sign_in_token=token, archived_at__isnull=True).first()


def _card_holders(classroom: Classroom) -> QuerySet[LoginCard]:
    return LoginCard.objects.filter(
        membership__classroom=classroom,
        membership__student__in=User.objects.filter(CARD_HOLDERS),
    ).select_related("membership__student")


def _first_name(student: User) -> str:
    return (student.first_name.split() or [student.username])[0]


def sign_in_names(*, classroom: Classroom) -> list[SignInName]:
    """The class's students who have a card, by first name; two of the same first name get
    their last initial, and then their username, so that each child finds their own."""
    students = [(card.membership.student, card.kind) for card in _card_holders(classroom)]
    shown = {s.pk: _first_name(s) for s, _ in students}
    for clash in (name for name, n in Counter(shown.values()).items() if n > 1):
        for student, _ in students:
            parts = f"{student.first_name} {student.last_name}".split()
            if shown[student.pk] == clash and len(parts) > 1:
                shown[student.pk] = f"{parts[0]} {parts[-1][0]}."
    for clash in (name for name, n in Counter(shown.values()).items() if n > 1):
        for student, _ in students:
            if shown[student.pk] == clash:
                shown[student.pk] = f"{clash} ({student.username})"
    names = [SignInName(student_id=s.pk, name=shown[s.pk], kind=kind) for s, kind in students]
    return sorted(names, key=lambda n: (n.name.casefold(), n.student_id))


def sign_in_card(*, classroom: Classroom, student_id: int) -> LoginCard | None:
    """The card of one of the class's card holders, else None."""
    return _card_holders(classroom).filter(membership__student_id=student_id).first()


def class_card_kinds(*, classroom: Classroom) -> dict[int, str]:
    """Each student of the class who has a card: their card's kind, by student id."""
    return {
        student_id: kind
        for student_id, kind in LoginCard.objects.filter(
            membership__classroom=classroom
        ).values_list("membership__student_id", "kind")
    }
