from django.test import Client
from django.urls import reverse

from classroom.models import Classroom, User
from classroom.tests.factories import (
    ClassroomFactory,
    ExerciseFactory,
    MembershipFactory,
    StaffFactory,
)


def test_it_welcomes_visitors_with_log_in_and_sign_up(client: Client, db) -> None:
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("login")}"' in page
    assert f'href="{reverse("signup")}"' in page
    assert 'id="main"' in page


def test_it_shows_a_student_their_exercises_with_due_dates(
    client_as, student: User, classroom: Classroom
) -> None:
    ExerciseFactory.create(classroom=classroom, title="Vowels", due_at="2030-06-01T09:00Z")
    page = client_as(student).get(reverse("home")).content.decode()
    assert "Vowels" in page
    assert 'datetime="2030-06-01T09:00:00+00:00"' in page


def test_it_counts_every_classmate_for_a_student(
    client_as, student: User, classroom: Classroom
) -> None:
    MembershipFactory.create_batch(2, classroom=classroom)
    response = client_as(student).get(reverse("home"))
    [shown] = response.context["classes"]
    assert shown.student_count == 3


def test_it_shows_a_teacher_their_classes_with_exercise_counts(
    client_as, teacher: User, classroom: Classroom
) -> None:
    ExerciseFactory.create(classroom=classroom)
    ExerciseFactory.create(classroom=classroom, archived=True)
    response = client_as(teacher).get(reverse("home"))
    [shown] = response.context["classes"]
    assert shown.exercise_count == 1


def test_it_shows_staff_every_class_and_the_admin_link(client_as, classroom: Classroom) -> None:
    ClassroomFactory.create(name="Another")
    response = client_as(StaffFactory.create()).get(reverse("home"))
    assert {c.name for c in response.context["classes"]} == {"Class 3B", "Another"}
    assert reverse("admin:index") in response.content.decode()


def test_it_links_the_navigation_by_role(client_as, student: User, teacher: User) -> None:
    student_page = client_as(student).get(reverse("home")).content.decode()
    teacher_page = client_as(teacher).get(reverse("home")).content.decode()
    assert "Practice</a>" in student_page and "My classes</a>" in student_page
    assert "Practice</a>" not in teacher_page and "Classes</a>" in teacher_page
    assert "/draw/" in student_page and "/draw/" in teacher_page
