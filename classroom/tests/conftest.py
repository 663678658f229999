from collections.abc import Callable

import pytest
from django.test import Client

from classroom.models import Classroom, Exercise, User
from classroom.tests.factories import (
    ClassroomFactory,
    ExerciseFactory,
    MembershipFactory,
    StaffFactory,
    StudentFactory,
    TeacherFactory,
)


@pytest.fixture(autouse=True)
def _fast_test_settings(settings):
    # Pages render `{% static %}`; without DEBUG the manifest storage needs collectstatic.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Real hashing costs ~0.3 s a user; these tests are about access, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def teacher(db) -> User:
    return TeacherFactory.create(username="ms_quill", first_name="Ms Quill")


@pytest.fixture
def classroom(teacher: User) -> Classroom:
    return ClassroomFactory.create(teacher=teacher, name="Class 3B")


@pytest.fixture
def student(classroom: Classroom) -> User:
    """A student in `classroom`."""
    member = StudentFactory.create(username="ada", first_name="Ada")
    MembershipFactory.create(classroom=classroom, student=member)
    return member


@pytest.fixture
def exercise(classroom: Classroom) -> Exercise:
    """Mirror letters in `classroom` (modules that need another exercise define their own)."""
    return ExerciseFactory.create(classroom=classroom, title="Mirrors", characters="bdp")


@pytest.fixture
def other_student(db) -> User:
    """A student of another teacher's class."""
    member = StudentFactory.create(username="zed")
    MembershipFactory.create(student=member)
    return member


@pytest.fixture
def other_teacher(db) -> User:
    teacher = TeacherFactory.create(username="mr_other")
    ClassroomFactory.create(teacher=teacher)
    return teacher


@pytest.fixture
def staff(db) -> User:
    return StaffFactory.create(username="root")


@pytest.fixture
def client_as(db) -> Callable[[User | None], Client]:
    """A test client logged in as `user` (anonymous for None)."""

    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make
