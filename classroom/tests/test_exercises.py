import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from classroom import selectors, services
from classroom.models import CHARACTER_CLASSES, Attempt, Classroom, Exercise, User
from classroom.tests.factories import (
    AttemptFactory,
    ExerciseFactory,
    MembershipFactory,
    StudentFactory,
)

pytestmark = pytest.mark.django_db

VALID = {
    "title": "Vowels",
    "characters": "a e i o u",
    "repetitions": "3",
    "order": "shuffled",
    "case_rule": "lenient",
    "due_at": "2030-05-01T09:00",
    "show_tracing": "on",
}


def _post(client_as, classroom: Classroom, **changes: str):
    url = reverse("exercise_create", kwargs={"pk": classroom.pk})
    return client_as(classroom.teacher).post(url, {**VALID, **changes})


def test_it_creates_an_exercise(client_as, classroom: Classroom) -> None:
    response = _post(client_as, classroom)
    assert response.status_code == 302
    exercise = Exercise.objects.get(classroom=classroom)
    assert exercise.characters == "aeiou"
    assert exercise.repetitions == 3
    assert exercise.order == Exercise.Order.SHUFFLED
    assert exercise.case_rule == Exercise.CaseRule.LENIENT
    assert exercise.show_tracing
    assert exercise.due_at is not None and exercise.due_at.year == 2030


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("characters", "ab$"),
        ("characters", "aéb"),
        ("characters", "abca"),
        ("characters", ""),
        ("repetitions", "0"),
        ("repetitions", "21"),
        ("order", "backwards"),
        ("case_rule", "loose"),
        ("title", ""),
    ],
)
def test_it_rejects_a_bad_field_with_a_field_error(
    client_as, classroom: Classroom, field: str, value: str
) -> None:
    response = _post(client_as, classroom, **{field: value})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Exercise.objects.exists()


def test_it_names_the_characters_it_cannot_practise(client_as, classroom: Classroom) -> None:
    response = _post(client_as, classroom, characters="ab$%")
    assert "'$' '%'" in response.context["form"].errors["characters"][0]


def test_it_validates_characters_in_the_service_too(classroom: Classroom) -> None:
    fields = services.ExerciseFields(
        title="x",
        characters="a!",
        repetitions=1,
        order="as_written",
        case_rule="strict",
        due_at=None,
        show_tracing=False,
    )
    with pytest.raises(ValidationError):
        services.exercise_create(classroom=classroom, fields=fields)


def test_it_edits_an_exercise(client_as, classroom: Classroom) -> None:
    exercise = ExerciseFactory.create(classroom=classroom)
    url = reverse("exercise_edit", kwargs={"pk": exercise.pk})
    client_as(classroom.teacher).post(url, {**VALID, "characters": "XYZ", "due_at": ""})
    exercise.refresh_from_db()
    assert exercise.characters == "XYZ"
    assert exercise.due_at is None


def test_it_archives_an_exercise_out_of_students_lists(client_as, student: User, classroom):
    exercise = ExerciseFactory.create(classroom=classroom)
    client_as(classroom.teacher).post(reverse("exercise_archive", kwargs={"pk": exercise.pk}))
    assert selectors.student_exercises(student=student) == []


def test_lenient_case_accepts_look_alike_letters_only() -> None:
    lenient = Exercise(characters="sa", case_rule=Exercise.CaseRule.LENIENT)
    strict = Exercise(characters="sa", case_rule=Exercise.CaseRule.STRICT)
    assert lenient.accepts(target="s", label="S")
    assert not lenient.accepts(target="a", label="A")
    assert not strict.accepts(target="s", label="S")
    assert strict.accepts(target="s", label="s")


def test_it_orders_targets_as_written_or_shuffled() -> None:
    written = Exercise(characters="ab", repetitions=2, order=Exercise.Order.AS_WRITTEN)
    assert written.targets() == ["a", "a", "b", "b"]
    shuffled = Exercise(characters="abcdef", repetitions=3, order=Exercise.Order.SHUFFLED)
    assert sorted(shuffled.targets(seed=1)) == sorted(written.targets() * 0 + list("abcdef") * 3)
    assert shuffled.targets(seed=1) == shuffled.targets(seed=1)


def test_progress_counts_correct_attempts_capped_per_character(student: User, classroom) -> None:
    exercise = ExerciseFactory.create(classroom=classroom, characters="ab", repetitions=2)
    for _ in range(5):  # more than needed: capped at 2
        AttemptFactory.create(student=student, exercise=exercise, target="a", correct=True)
    AttemptFactory.create(student=student, exercise=exercise, target="b", correct=False)
    AttemptFactory.create(student=student, exercise=exercise, target="b", correct=None)
    progress = selectors.progress_for(exercises=[exercise], students=[student])
    assert progress[(exercise.pk, student.pk)].done == 2
    assert progress[(exercise.pk, student.pk)].total == 4
    assert progress[(exercise.pk, student.pk)].percent == 50


def test_progress_uses_one_query_for_a_whole_class(
    classroom: Classroom, django_assert_num_queries
) -> None:
    exercises = [ExerciseFactory.create(classroom=classroom) for _ in range(3)]
    students = [StudentFactory.create() for _ in range(6)]
    for s in students:
        MembershipFactory.create(classroom=classroom, student=s)
        for e in exercises:
            AttemptFactory.create(student=s, exercise=e, target="a")
    with django_assert_num_queries(1):
        progress = selectors.progress_for(exercises=exercises, students=students)
    assert len(progress) == 18
    assert all(p.done == 1 for p in progress.values())


def test_the_class_dashboard_takes_a_fixed_number_of_queries(
    classroom: Classroom, django_assert_max_num_queries
) -> None:
    exercises = [ExerciseFactory.create(classroom=classroom) for _ in range(4)]
    for _ in range(10):
        s = StudentFactory.create()
        MembershipFactory.create(classroom=classroom, student=s)
        AttemptFactory.create(student=s, exercise=exercises[0])
    with django_assert_max_num_queries(3):
        rows = selectors.class_roster(classroom=classroom)
    assert len(rows) == 10


def test_students_see_their_exercises_with_progress(client_as, student: User, classroom):
    exercise = ExerciseFactory.create(classroom=classroom, characters="ab", repetitions=1)
    AttemptFactory.create(student=student, exercise=exercise, target="a")
    response = client_as(student).get(reverse("home"))
    [item] = response.context["exercises"]
    assert item.exercise == exercise
    assert item.progress.percent == 50
    assert exercise.title in response.content.decode()


def test_a_double_submit_stores_one_attempt(student: User, classroom: Classroom) -> None:
    exercise = ExerciseFactory.create(classroom=classroom)
    AttemptFactory.create(student=student, exercise=exercise, client_submission_id="tap-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        AttemptFactory.create(student=student, exercise=exercise, client_submission_id="tap-1")
    assert Attempt.objects.count() == 1


def test_it_accepts_all_62_characters_typed_with_spaces(client_as, classroom: Classroom) -> None:
    every = CHARACTER_CLASSES
    response = _post(client_as, classroom, characters=" ".join(every))
    assert response.status_code == 302
    assert Exercise.objects.get(classroom=classroom).characters == every


def test_students_do_not_see_exercises_of_an_archived_class(student: User, classroom) -> None:
    ExerciseFactory.create(classroom=classroom)
    services.class_set_archived(classroom=classroom, archived=True)
    assert selectors.student_exercises(student=student) == []


def test_a_preset_fills_in_the_characters_in_teaching_order_and_the_title(
    client_as, classroom: Classroom
) -> None:
    response = _post(client_as, classroom, preset="round", title="", characters="", tries="2")
    assert response.status_code == 302
    exercise = Exercise.objects.get(classroom=classroom)
    assert (exercise.characters, exercise.title, exercise.tries) == ("coadgq", "Round letters", 2)


def test_the_presets_come_in_teaching_order_after_the_teachers_own_list(client_as, classroom):
    page = client_as(classroom.teacher).get(reverse("exercise_create", args=[classroom.pk]))
    html = page.content.decode()
    order = [html.index(t) for t in ("My own list", "c o a d g q", "l t i", "top line", "0 to 9")]
    assert order == sorted(order)


def test_without_a_preset_the_characters_are_needed(client_as, classroom: Classroom) -> None:
    response = _post(client_as, classroom, preset="own", characters="")
    assert response.status_code == 200
    assert not Exercise.objects.exists()
