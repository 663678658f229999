"""The pages around the dashboard: CSV export, a student's attempts, the replay page, a
student's own progress, the dashboard API, and the cost of the dashboard in queries."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from classroom.demo import bulk_create_dated
from classroom.models import Attempt, Classroom, Exercise, User
from classroom.tests.factories import (
    AttemptFactory,
    ExerciseFactory,
    MembershipFactory,
    StudentFactory,
)
from classroom.tests.test_dashboard import attempt, pending


def csv_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_the_csv_lists_the_class_attempts_without_ink(client_as, classroom, exercise, student):
    right = attempt(student, exercise, "b", "b", score=91, ago=timedelta(hours=1))
    wrong = attempt(student, exercise, "d", "b", score=12)
    waiting = pending(student, exercise, "p")
    elsewhere = AttemptFactory.create()  # another class's attempt

    response = client_as(classroom.teacher).get(
        reverse("class_attempts_csv", kwargs={"pk": classroom.pk})
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert [r["attempt_id"] for r in rows] == [str(right.pk), str(wrong.pk), str(waiting.pk)]
    assert rows[0] == {
        "attempt_id": str(right.pk),
        "student": "ada",
        "exercise": "Mirrors",
        "target": "b",
        "predicted": "b",
        "correct": "True",
        "score": "91",
        "status": "recognized",
        "verified": "False",
        "verified_label": "",
        "created_at": right.created_at.isoformat(),
    }
    assert (rows[1]["predicted"], rows[1]["correct"]) == ("b", "False")
    assert (rows[2]["correct"], rows[2]["score"], rows[2]["status"]) == ("", "", "pending")
    assert str(elsewhere.pk) not in {r["attempt_id"] for r in rows}
    assert (
        "strokes"
        not in b"".join(
            client_as(classroom.teacher)
            .get(reverse("class_attempts_csv", kwargs={"pk": classroom.pk}))
            .streaming_content
        ).decode()
    )


def test_the_csv_applies_the_dashboard_filters(client_as, classroom, exercise, student):
    digits = ExerciseFactory.create(classroom=classroom, characters="3")
    attempt(student, exercise, "b", "b", ago=timedelta(days=9))
    recent = attempt(student, exercise, "d", "d")
    attempt(student, digits, "3", "3")
    since = (timezone.localdate() - timedelta(days=2)).isoformat()
    response = client_as(classroom.teacher).get(
        reverse("class_attempts_csv", kwargs={"pk": classroom.pk}),
        {"exercise": exercise.pk, "from": since},
    )
    assert [r["attempt_id"] for r in csv_rows(response)] == [str(recent.pk)]


def test_the_csv_shows_a_verdict(client_as, classroom, exercise, student):
    misread = attempt(student, exercise, "b", "d")
    client = client_as(classroom.teacher)
    client.post(reverse("attempt_verdict", kwargs={"pk": misread.pk}), {"verdict": "correct"})
    rows = csv_rows(client.get(reverse("class_attempts_csv", kwargs={"pk": classroom.pk})))
    assert (rows[0]["correct"], rows[0]["verified"], rows[0]["verified_label"]) == (
        "True",
        "True",
        "b",
    )


def test_the_student_page_filters_thumbnails_by_character_and_result(
    client_as, classroom, exercise, student
):
    b_right = attempt(student, exercise, "b", "b", image=b"\x89PNG-b")
    b_wrong = attempt(student, exercise, "b", "d")
    d_right = attempt(student, exercise, "d", "d")
    url = reverse("class_student", kwargs={"pk": classroom.pk, "student_id": student.pk})
    client = client_as(classroom.teacher)

    def listed(**query) -> set[int]:
        response = client.get(url, query)
        assert response.status_code == 200
        return {a.pk for a in response.context["page"].object_list}

    assert listed() == {b_right.pk, b_wrong.pk, d_right.pk}
    assert listed(character="b") == {b_right.pk, b_wrong.pk}
    assert listed(result="correct") == {b_right.pk, d_right.pk}
    assert listed(character="b", result="wrong") == {b_wrong.pk}
    html = client.get(url).content.decode()
    assert "data:image/png;base64," in html  # thumbnails inline
    assert reverse("attempt_detail", kwargs={"pk": b_wrong.pk}) in html


def test_the_replay_page_has_the_strokes_candidates_and_raster(
    client_as, classroom, exercise, student
):
    strokes = [[[0, 0, 0], [5, 9, 40]], [[3, 1, 400], [3, 8, 460]]]
    shown = attempt(
        student,
        exercise,
        "b",
        "d",
        ink={"strokes": strokes},
        image=b"\x89PNG-raster",
        candidates=[{"label": "d", "p": 0.7}, {"label": "b", "p": 0.2}, {"label": "p", "p": 0.1}],
    )
    response = client_as(classroom.teacher).get(reverse("attempt_detail", kwargs={"pk": shown.pk}))
    assert response.status_code == 200
    assert response.context["replay"]["strokes"] == strokes
    html = response.content.decode()
    assert 'id="replay-data"' in html and 'id="replay-canvas"' in html
    assert '<li data-label="d">' in html and "70%" in html
    assert 'id="attempt-raster" src="data:image/png;base64,' in html


def test_a_student_sees_accuracy_and_streaks_per_character(client_as, classroom, exercise, student):
    for read, ago in (("b", 6), ("b", 5), ("d", 4), ("b", 3), ("b", 2), ("b", 1)):
        attempt(student, exercise, "b", read, ago=timedelta(minutes=ago))
    attempt(student, exercise, "d", "b", ago=timedelta(days=1))
    other = StudentFactory.create()
    MembershipFactory.create(classroom=classroom, student=other)
    attempt(other, exercise, "p", "p")

    response = client_as(student).get(reverse("my_progress"))

    progress = response.context["progress"]
    per_char = {
        c.character: (c.judged, c.correct, c.streak, c.best_streak) for c in progress.characters
    }
    assert per_char == {"b": (6, 5, 3, 3), "d": (1, 0, 0, 0)}
    assert progress.days_in_a_row == 2  # yesterday and today
    assert 'data-character="p"' not in response.content.decode()


def test_the_api_gives_the_dashboard_figures(client_as, classroom, exercise, student):
    attempt(student, exercise, "b", "d", score=40)
    attempt(student, exercise, "b", "b", score=80)
    response = client_as(classroom.teacher).get(
        reverse("api-class-dashboard", kwargs={"pk": classroom.pk}), {"exercise": exercise.pk}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["totals"] == {
        "attempts": 2,
        "checked": 2,
        "correct": 1,
        "accuracy": 0.5,
        "pending": 0,
        "verified": 0,
    }
    assert body["filters"] == {"exercise": exercise.pk, "from": None, "to": None}
    [row] = body["students"]
    assert (row["username"], row["attempts"], row["average_score"]) == ("ada", 2, 60.0)
    assert ["b", "d", 1] in body["confusions"] and ["b", "b", 1] in body["confusions"]
    assert {"character": "b", "checked": 2, "correct": 1, "accuracy": 0.5} in body["characters"]
    assert body["completion"][0]["exercises"][0]["done"] == 1
    assert body["eligible_for_training"] == 0 and body["allow_training_use"] is False


def test_the_api_refuses_a_bad_filter(client_as, classroom):
    response = client_as(classroom.teacher).get(
        reverse("api-class-dashboard", kwargs={"pk": classroom.pk}), {"from": "yesterday"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_filter"


def _grow(classroom: Classroom, exercise: Exercise, students: int) -> None:
    now = timezone.now()
    made = StudentFactory.create_batch(students)
    for member in made:
        MembershipFactory.create(classroom=classroom, student=member)
    bulk_create_dated(
        Attempt(
            student=member,
            exercise=exercise,
            target=ch,
            ink={"strokes": [[[0, 0, 0], [1, 1, 10]]]},
            predicted_label="d" if i % 3 else ch,
            correct=not i % 3,
            score=50,
            status=Attempt.Status.RECOGNIZED,
            client_submission_id=f"{member.pk}-{ch}-{i}",
            created_at=now - timedelta(days=i),
        )
        for member in made
        for ch in "bdp"
        for i in range(4)
    )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["class_dashboard", "api-class-dashboard"])
def test_the_dashboard_costs_the_same_queries_for_5_or_40_students(
    client_as, classroom: Classroom, exercise: Exercise, name: str
) -> None:
    client = client_as(classroom.teacher)
    url = reverse(name, kwargs={"pk": classroom.pk})
    _grow(classroom, exercise, 5)
    small = _queries(client, url)
    _grow(classroom, exercise, 35)
    assert _queries(client, url) == small
    assert small <= 20


def test_a_student_page_costs_the_same_queries_however_many_attempts(
    client_as, classroom: Classroom, exercise: Exercise, student: User
) -> None:
    client = client_as(classroom.teacher)
    url = reverse("class_student", kwargs={"pk": classroom.pk, "student_id": student.pk})
    attempt(student, exercise, "b", "b")
    small = _queries(client, url)
    for _ in range(30):
        attempt(student, exercise, "d", "b")
    assert _queries(client, url) == small


def test_the_api_takes_a_verdict_that_the_figures_follow(client_as, classroom, exercise, student):
    misread = attempt(student, exercise, "b", "d")
    client = client_as(classroom.teacher)
    url = reverse("api-attempt-verdict", kwargs={"pk": misread.pk})

    response = client.post(url, {"correct": True}, content_type="application/json")

    assert response.status_code == 200
    body = response.json()
    assert (body["correct"], body["verified"], body["verified_label"]) == (True, True, "b")
    dashboard = client.get(reverse("api-class-dashboard", kwargs={"pk": classroom.pk})).json()
    assert dashboard["totals"]["accuracy"] == 1.0 and dashboard["totals"]["verified"] == 1

    withdrawn = client.post(url, {"correct": None}, content_type="application/json").json()
    assert (withdrawn["correct"], withdrawn["verified"]) == (False, False)


def test_the_api_refuses_a_contradictory_verdict_in_the_error_shape(
    client_as, classroom, exercise, student
):
    misread = attempt(student, exercise, "b", "d")
    response = client_as(classroom.teacher).post(
        reverse("api-attempt-verdict", kwargs={"pk": misread.pk}),
        {"correct": True, "character": "d"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "verdict_mismatch"
    misread.refresh_from_db()
    assert not misread.verified


def test_the_csv_does_not_hand_spreadsheets_a_formula(client_as, classroom, student):
    sneaky = ExerciseFactory.create(classroom=classroom, title='=HYPERLINK("http://x")')
    attempt(student, sneaky, "a", "a")
    rows = csv_rows(
        client_as(classroom.teacher).get(reverse("class_attempts_csv", kwargs={"pk": classroom.pk}))
    )
    assert rows[0]["exercise"] == '\'=HYPERLINK("http://x")'


@pytest.mark.django_db
def test_the_dashboard_of_a_class_without_exercises_opens(client_as, teacher, classroom, student):
    # A filter the ORM knows matches nothing once raised EmptyResultSet: a 500.
    response = client_as(teacher).get(reverse("class_dashboard", kwargs={"pk": classroom.pk}))
    assert response.status_code == 200
