"""Idempotent demo data: a teacher, three students, a class with exercises, an admin."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from classroom.models import Classroom, Exercise, Membership, User

DEMO_JOIN_CODE = "HAPPYPEN"
TEACHER = ("teacher", "inkwell-teacher")
STUDENTS = (("ada", "Ada"), ("ben", "Ben"), ("cleo", "Cleo"))
STUDENT_PASSWORD = "inkwell-student"  # noqa: S105 - published demo login
ADMIN = ("admin", "inkwell-admin")
EXERCISES = (
    {"title": "Digits", "characters": "0123456789", "repetitions": 2},
    {
        "title": "Lower-case vowels",
        "characters": "aeiou",
        "repetitions": 3,
        "case_rule": Exercise.CaseRule.LENIENT,
    },
)


def _user(username: str, password: str, **fields: Any) -> tuple[User, bool]:
    # The password is set only when the account is made: a second run changes nothing.
    user, created = User.objects.get_or_create(username=username, defaults=fields)
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user, created


class Command(BaseCommand):
    help = "Create demo logins, a class and exercises; running it again changes nothing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="URL to print")

    def handle(self, *args: Any, **options: Any) -> None:
        created: list[str] = []
        with transaction.atomic():
            teacher, new = _user(
                TEACHER[0], TEACHER[1], role=User.Role.TEACHER, first_name="Ms Quill"
            )
            created += ["teacher"] if new else []
            classroom, new = Classroom.objects.get_or_create(
                teacher=teacher, name="Demo class", defaults={"join_code": DEMO_JOIN_CODE}
            )
            created += ["class"] if new else []
            for username, first_name in STUDENTS:
                student, new = _user(
                    username, STUDENT_PASSWORD, role=User.Role.STUDENT, first_name=first_name
                )
                created += [username] if new else []
                Membership.objects.get_or_create(classroom=classroom, student=student)
            for spec in EXERCISES:
                _, new = Exercise.objects.get_or_create(
                    classroom=classroom,
                    title=spec["title"],
                    defaults={k: v for k, v in spec.items() if k != "title"},
                )
                created += [str(spec["title"])] if new else []
            _, new = _user(ADMIN[0], ADMIN[1], is_staff=True, is_superuser=True)
            created += ["admin"] if new else []

        url = options["url"].rstrip("/")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({'created: ' + ', '.join(created) if created else 'unchanged'})."
            )
        )
        self.stdout.write(f"  Open {url}/  (class join code: {classroom.join_code_display})")
        self.stdout.write(f"  teacher:  {TEACHER[0]} / {TEACHER[1]}")
        for username, _ in STUDENTS:
            self.stdout.write(f"  student:  {username} / {STUDENT_PASSWORD}")
        self.stdout.write(f"  admin:    {ADMIN[0]} / {ADMIN[1]}  ({url}/admin/)")
