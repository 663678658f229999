"""Idempotent demo data: a teacher, three students, a class with exercises and three weeks
of practice (so the dashboard has something to show), an admin."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from classroom.demo import DEMO_PREFIX, bulk_create_dated, demo_attempts
from classroom.models import Attempt, Classroom, Exercise, Membership, User

DEMO_JOIN_CODE = "HAPPYPEN"
TEACHER = ("teacher", "inkwell-teacher")
STUDENTS = (("ada", "Ada"), ("ben", "Ben"), ("cleo", "Cleo"))
# How often each demo student gets a character right at first: a spread a teacher recognises.
SKILL = {"ada": 0.85, "ben": 0.65, "cleo": 0.45}
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
            students = []
            for username, first_name in STUDENTS:
                student, new = _user(
                    username, STUDENT_PASSWORD, role=User.Role.STUDENT, first_name=first_name
                )
                created += [username] if new else []
                students.append(student)
                Membership.objects.get_or_create(classroom=classroom, student=student)
            exercises = []
            for spec in EXERCISES:
                exercise, new = Exercise.objects.get_or_create(
                    classroom=classroom,
                    title=spec["title"],
                    defaults={k: v for k, v in spec.items() if k != "title"},
                )
                exercises.append(exercise)
                created += [str(spec["title"])] if new else []
            history = Attempt.objects.filter(
                exercise__classroom=classroom, client_submission_id__startswith=DEMO_PREFIX
            )
            if not history.exists():
                made = bulk_create_dated(
                    demo_attempts(
                        exercises=exercises,
                        students=students,
                        skill={s.pk: SKILL[s.username] for s in students},
                    )
                )
                created += [f"{made} practice attempts"]
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
