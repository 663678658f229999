"""factory_boy factories for accounts, classes, exercises and attempts."""

from typing import Any

import factory
from factory.django import DjangoModelFactory

from classroom.models import Attempt, Classroom, Exercise, Membership, User

PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = User.Role.STUDENT
    password = factory.PostGeneration(
        lambda user, create, extracted, **kwargs: _set_password(user, create, extracted)
    )


def _set_password(user: User, create: bool, extracted: Any) -> None:
    user.set_password(extracted or PASSWORD)
    if create:
        user.save(update_fields=["password"])


class StudentFactory(UserFactory):
    username = factory.Sequence(lambda n: f"student{n}")
    role = User.Role.STUDENT


class TeacherFactory(UserFactory):
    username = factory.Sequence(lambda n: f"teacher{n}")
    role = User.Role.TEACHER


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True


class ClassroomFactory(DjangoModelFactory[Classroom]):
    class Meta:
        model = Classroom

    name = factory.Sequence(lambda n: f"Class {n}")
    teacher = factory.SubFactory(TeacherFactory)


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    classroom = factory.SubFactory(ClassroomFactory)
    student = factory.SubFactory(StudentFactory)


class ExerciseFactory(DjangoModelFactory[Exercise]):
    class Meta:
        model = Exercise

    classroom = factory.SubFactory(ClassroomFactory)
    title = factory.Sequence(lambda n: f"Exercise {n}")
    characters = "abc"
    repetitions = 2


class AttemptFactory(DjangoModelFactory[Attempt]):
    class Meta:
        model = Attempt

    student = factory.SubFactory(StudentFactory)
    exercise = factory.SubFactory(ExerciseFactory)
    target = "a"
    ink = factory.LazyFunction(lambda: {"strokes": [[[0, 0, 0], [10, 10, 16]]]})
    predicted_label = factory.LazyAttribute(lambda o: o.target)
    correct = True
    score = 90
    status = Attempt.Status.RECOGNIZED
    client_submission_id = factory.Sequence(lambda n: f"submission-{n}")
