import re

import pytest
from django.urls import reverse
from django.utils import timezone

from classroom import services
from classroom.models import JOIN_CODE_ALPHABET, Classroom, Membership, User
from classroom.tests.factories import (
    ClassroomFactory,
    ExerciseFactory,
    MembershipFactory,
    StudentFactory,
)

pytestmark = pytest.mark.django_db


def test_it_creates_a_class_with_a_readable_code(client_as, teacher: User) -> None:
    response = client_as(teacher).post(reverse("class_create"), {"name": "Class 2A"})
    classroom = Classroom.objects.get(name="Class 2A")
    assert response["Location"] == classroom.get_absolute_url()
    assert classroom.teacher == teacher
    assert re.fullmatch(f"[{JOIN_CODE_ALPHABET}]{{8}}", classroom.join_code)
    assert not set(classroom.join_code) & set("0O1I")


def test_it_shows_the_join_code_on_the_class_page(client_as, classroom: Classroom) -> None:
    page = client_as(classroom.teacher).get(classroom.get_absolute_url()).content.decode()
    assert f'data-join-code="{classroom.join_code}"' in page
    assert classroom.join_code_display in page


def test_it_requires_a_class_name(client_as, teacher: User) -> None:
    response = client_as(teacher).post(reverse("class_create"), {"name": ""})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors


def test_it_joins_a_student_with_a_valid_code(client_as, classroom: Classroom) -> None:
    newcomer = StudentFactory.create()
    response = client_as(newcomer).post(reverse("class_join"), {"code": classroom.join_code})
    assert response.status_code == 302
    assert Membership.objects.filter(classroom=classroom, student=newcomer).exists()


def test_it_normalises_a_typed_code(client_as, classroom: Classroom) -> None:
    newcomer = StudentFactory.create()
    typed = " " + "-".join([classroom.join_code[:4], classroom.join_code[4:]]).lower() + " "
    client_as(newcomer).post(reverse("class_join"), {"code": typed})
    assert Membership.objects.filter(classroom=classroom, student=newcomer).exists()


def test_it_rejects_a_wrong_code(client_as, classroom: Classroom) -> None:
    response = client_as(StudentFactory.create()).post(reverse("class_join"), {"code": "WRONGCDE"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [
        "No class has this code. Check it with your teacher."
    ]


def test_it_rejects_the_code_of_an_archived_class(client_as, classroom: Classroom) -> None:
    services.class_set_archived(classroom=classroom, archived=True)
    newcomer = StudentFactory.create()
    response = client_as(newcomer).post(reverse("class_join"), {"code": classroom.join_code})
    assert response.context["form"].errors["code"] == ["This class is archived."]
    assert not Membership.objects.filter(student=newcomer).exists()


def test_it_rejects_a_student_already_in_the_class(client_as, student: User) -> None:
    classroom = student.classes.get()
    response = client_as(student).post(reverse("class_join"), {"code": classroom.join_code})
    assert response.context["form"].errors["code"] == ["You are already in this class."]
    assert Membership.objects.filter(student=student).count() == 1


def test_it_lets_a_student_leave(client_as, student: User, classroom: Classroom) -> None:
    response = client_as(student).post(reverse("class_leave", kwargs={"pk": classroom.pk}))
    assert response.status_code == 302
    assert not Membership.objects.filter(student=student).exists()


def test_it_lets_the_teacher_remove_a_student(client_as, student: User, classroom) -> None:
    url = reverse("class_remove_student", kwargs={"pk": classroom.pk, "student_id": student.pk})
    client_as(classroom.teacher).post(url)
    assert not Membership.objects.filter(student=student).exists()
    assert User.objects.filter(pk=student.pk).exists()


def test_it_renames_a_class(client_as, classroom: Classroom) -> None:
    url = reverse("class_edit", kwargs={"pk": classroom.pk})
    client_as(classroom.teacher).post(url, {"name": "Class 3C"})
    classroom.refresh_from_db()
    assert classroom.name == "Class 3C"


def test_spoken_prompts_are_off_until_the_teacher_turns_them_on(
    client_as, classroom: Classroom
) -> None:
    exercise = ExerciseFactory.create(classroom=classroom)
    assert not classroom.spoken_prompts
    url = reverse("class_edit", kwargs={"pk": classroom.pk})
    client_as(classroom.teacher).post(url, {"name": classroom.name, "spoken_prompts": "on"})
    classroom.refresh_from_db()
    assert classroom.spoken_prompts
    student = StudentFactory.create()
    MembershipFactory.create(classroom=classroom, student=student)
    page = client_as(student).get(reverse("practice", args=[exercise.pk]))
    assert page.context["config"]["speak"] is True


def test_it_archives_and_restores_a_class(client_as, classroom: Classroom) -> None:
    url = reverse("class_archive", kwargs={"pk": classroom.pk})
    client = client_as(classroom.teacher)
    client.post(url, {"archived": "1"})
    classroom.refresh_from_db()
    assert classroom.is_archived
    client.post(url, {"archived": "0"})
    classroom.refresh_from_db()
    assert not classroom.is_archived


def test_it_regenerates_the_code_and_the_old_one_stops_working(
    client_as, classroom: Classroom
) -> None:
    old = classroom.join_code
    client_as(classroom.teacher).post(reverse("class_regenerate_code", kwargs={"pk": classroom.pk}))
    classroom.refresh_from_db()
    assert classroom.join_code != old
    with pytest.raises(services.ClassroomError) as error:
        services.class_join(student=StudentFactory.create(), code=old)
    assert error.value.code == "unknown_code"


def test_it_lists_a_teachers_classes_with_counts(client_as, student: User, classroom) -> None:
    ClassroomFactory.create(teacher=classroom.teacher, name="Empty class")
    ClassroomFactory.create(name="Someone else's class")
    response = client_as(classroom.teacher).get(reverse("home"))
    classes = {c.name: c for c in response.context["classes"]}
    assert set(classes) == {"Class 3B", "Empty class"}
    assert classes["Class 3B"].student_count == 1
    assert classes["Empty class"].student_count == 0


def test_it_lists_a_students_classes_on_the_home_page(client_as, student: User) -> None:
    response = client_as(student).get(reverse("home"))
    assert [c.name for c in response.context["classes"]] == ["Class 3B"]


def test_it_only_lets_teachers_create_classes(student: User) -> None:
    with pytest.raises(services.ClassroomError) as error:
        services.class_create(teacher=student, name="Mine")
    assert error.value.code == "not_a_teacher"


def test_it_keeps_the_archive_date_when_archiving_twice(classroom: Classroom) -> None:
    services.class_set_archived(classroom=classroom, archived=True)
    first = classroom.archived_at
    services.class_set_archived(classroom=classroom, archived=True)
    assert classroom.archived_at == first
    assert first is not None and first <= timezone.now()
