"""The class dashboard's figures, checked against attempts made in each test."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from classroom import selectors
from classroom.models import Attempt, Classroom, User
from classroom.tests.factories import (
    AttemptFactory,
    ExerciseFactory,
    MembershipFactory,
    StudentFactory,
)

NOW = timezone.now()


@pytest.fixture
def bob(classroom: Classroom) -> User:
    member = StudentFactory.create(username="bob", first_name="Bob")
    MembershipFactory.create(classroom=classroom, student=member)
    return member


def attempt(student, exercise, target, read, *, correct=None, score=50, ago=timedelta(0), **kw):
    """An attempt `ago` before now; `correct` defaults to read == target."""
    made = AttemptFactory.create(
        student=student,
        exercise=exercise,
        target=target,
        predicted_label=read,
        correct=(read == target) if correct is None else correct,
        score=score,
        **kw,
    )
    Attempt.objects.filter(pk=made.pk).update(created_at=NOW - ago)
    made.refresh_from_db()
    return made


def pending(student, exercise, target):
    return AttemptFactory.create(
        student=student,
        exercise=exercise,
        target=target,
        predicted_label="",
        correct=None,
        score=None,
        status=Attempt.Status.PENDING,
    )


def figures(client, classroom, status=200, **query):
    response = client.get(reverse("class_dashboard", kwargs={"pk": classroom.pk}), query)
    assert response.status_code == status
    return response, response.context["dashboard"]


def row_of(dashboard, student):
    return next(r for r in dashboard.students if r.student == student)


def test_the_students_table_counts_attempts_accuracy_score_mastery_and_last_active(
    client_as, classroom, exercise, student, bob
):
    for _ in range(3):
        attempt(student, exercise, "b", "b", score=90, ago=timedelta(hours=2))
    attempt(student, exercise, "d", "b", score=20, ago=timedelta(minutes=5))
    latest = pending(student, exercise, "p")  # waiting for the recogniser, but active

    response, dashboard = figures(client_as(classroom.teacher), classroom)

    ada = row_of(dashboard, student)
    assert (ada.attempts, ada.judged, ada.correct) == (5, 4, 3)
    assert ada.accuracy == 0.75
    assert ada.average_score == pytest.approx((3 * 90 + 20) / 4)
    assert ada.mastered == 1  # b: 3 of 3; d: 0 of 1
    assert ada.last_active == latest.created_at
    empty = row_of(dashboard, bob)
    assert (empty.attempts, empty.accuracy, empty.last_active, empty.trend) == (0, None, None, "")
    totals = dashboard.totals
    assert (totals.attempts, totals.judged, totals.correct, totals.pending) == (5, 4, 3, 1)
    html = response.content.decode()
    assert f'data-student="{student.pk}"' in html and "75%" in html


def test_the_character_grid_gives_the_class_accuracy_per_character(
    client_as, classroom, exercise, student, bob
):
    attempt(student, exercise, "b", "b")
    attempt(bob, exercise, "b", "d")
    attempt(bob, exercise, "d", "d")
    pending(bob, exercise, "d")

    response, dashboard = figures(client_as(classroom.teacher), classroom)

    cells = {c.character: (c.judged, c.correct) for c in dashboard.characters}
    assert cells == {"b": (2, 1), "d": (1, 1), "p": (0, 0)}  # p is set but not practised yet
    html = response.content.decode()
    assert 'class="chart character-grid"' in html and 'data-character="b"' in html
    assert "<title>b: 50% of 2</title>" in html


def test_the_confusion_map_counts_what_the_recogniser_read(
    client_as, classroom, exercise, student, bob
):
    attempt(student, exercise, "b", "d")
    attempt(bob, exercise, "b", "d")
    attempt(bob, exercise, "b", "b")
    attempt(bob, exercise, "d", "")  # rejected: nothing read
    pending(bob, exercise, "b")  # not recognised yet: not in the map

    response, dashboard = figures(client_as(classroom.teacher), classroom)

    assert dashboard.confusion.counts == {("b", "d"): 2, ("b", "b"): 1, ("d", ""): 1}
    assert dashboard.confusion.mistakes()[0] == ("b", "d", 2)
    html = response.content.decode()
    assert 'data-target="b" data-read="d"' in html


def test_a_confusion_cell_lists_exactly_its_attempts(client_as, classroom, exercise, student, bob):
    mixed = [attempt(student, exercise, "b", "d"), attempt(bob, exercise, "b", "d")]
    attempt(bob, exercise, "b", "b")
    attempt(bob, exercise, "d", "b")

    response, _ = figures(client_as(classroom.teacher), classroom, target="b", read="d")

    listed = response.context["drilldown"]["attempts"]
    assert sorted(a.pk for a in listed) == sorted(a.pk for a in mixed)
    html = response.content.decode()
    assert 'id="drilldown"' in html
    for a in mixed:
        assert f'data-attempt="{a.pk}"' in html


def test_the_rejected_column_drills_down_too(client_as, classroom, exercise, student):
    rejected = attempt(student, exercise, "p", "")
    attempt(student, exercise, "p", "q")
    response, _ = figures(client_as(classroom.teacher), classroom, target="p", read="")
    assert [a.pk for a in response.context["drilldown"]["attempts"]] == [rejected.pk]


def test_the_filters_narrow_every_figure_by_exercise_and_dates(
    client_as, classroom, exercise, student
):
    digits = ExerciseFactory.create(classroom=classroom, title="Digits", characters="38")
    attempt(student, exercise, "b", "b", ago=timedelta(days=10))
    attempt(student, exercise, "d", "b", ago=timedelta(days=1))
    attempt(student, digits, "3", "8", ago=timedelta(days=1))
    client = client_as(classroom.teacher)

    _, by_exercise = figures(client, classroom, exercise=exercise.pk)
    assert by_exercise.totals.attempts == 2
    assert {c.character for c in by_exercise.characters} == {"b", "d", "p"}
    assert [e.exercise for e in by_exercise.completion[0][1]] == [exercise]

    since = (timezone.localdate() - timedelta(days=3)).isoformat()
    _, recent = figures(client, classroom, **{"from": since})
    assert recent.totals.attempts == 2
    assert recent.confusion.counts == {("d", "b"): 1, ("3", "8"): 1}

    until = (timezone.localdate() - timedelta(days=5)).isoformat()
    _, older = figures(client, classroom, to=until)
    assert older.totals.attempts == 1 and row_of(older, student).correct == 1


def test_a_bad_date_range_is_reported_and_ignored(client_as, classroom, exercise, student):
    attempt(student, exercise, "b", "b")
    response, dashboard = figures(
        client_as(classroom.teacher),
        classroom,
        status=400,  # the page, with the filter's error
        **{"from": "2030-01-02", "to": "2030-01-01"},
    )
    assert "The end date is before the start date." in response.content.decode()
    assert dashboard.filters.date_to is None


def test_progress_over_time_counts_each_day_and_shows_empty_days(
    client_as, classroom, exercise, student
):
    attempt(student, exercise, "b", "b", ago=timedelta(days=2))
    attempt(student, exercise, "b", "d", ago=timedelta(days=2))
    attempt(student, exercise, "d", "d", ago=timedelta(0))

    response, dashboard = figures(client_as(classroom.teacher), classroom)

    assert dashboard.granularity == "day"
    today = timezone.localdate()
    days = {(p.period, p.attempts, p.correct) for p in dashboard.timeline}
    assert days == {
        (today - timedelta(days=2), 2, 1),
        (today - timedelta(days=1), 0, 0),
        (today, 1, 1),
    }
    assert 'class="chart progress-chart"' in response.content.decode()


def test_progress_over_a_long_period_is_counted_per_week(client_as, classroom, exercise, student):
    attempt(student, exercise, "b", "b", ago=timedelta(days=100))
    attempt(student, exercise, "b", "b", ago=timedelta(0))
    _, dashboard = figures(client_as(classroom.teacher), classroom)
    assert dashboard.granularity == "week"
    assert all(p.period.weekday() == 0 for p in dashboard.timeline)
    assert sum(p.attempts for p in dashboard.timeline) == 2


def test_the_trend_compares_the_last_week_with_the_one_before(
    client_as, classroom, exercise, student, bob
):
    for _ in range(2):
        attempt(student, exercise, "b", "d", ago=timedelta(days=10))
        attempt(student, exercise, "b", "b", ago=timedelta(days=1))
        attempt(bob, exercise, "b", "b", ago=timedelta(days=10))
        attempt(bob, exercise, "b", "d", ago=timedelta(days=1))
    _, dashboard = figures(client_as(classroom.teacher), classroom)
    assert row_of(dashboard, student).trend == "up"
    assert row_of(dashboard, bob).trend == "down"


def test_completion_shows_who_finished_and_who_is_late(client_as, classroom, student, bob):
    late = ExerciseFactory.create(
        classroom=classroom, characters="b", repetitions=2, due_at=NOW - timedelta(days=1)
    )
    for _ in range(2):
        attempt(student, late, "b", "b")
    attempt(bob, late, "b", "b")

    response, dashboard = figures(client_as(classroom.teacher), classroom)

    cells = {s: cells[0] for s, cells in dashboard.completion}
    assert cells[student].progress.complete and not cells[student].late
    assert cells[bob].progress.done == 1 and cells[bob].late
    assert 'data-state="late"' in response.content.decode()


def test_a_verdict_changes_the_figures(client_as, classroom, exercise, student):
    misread = attempt(student, exercise, "b", "d", score=30)
    attempt(student, exercise, "d", "d")
    client = client_as(classroom.teacher)
    _, before = figures(client, classroom)
    assert before.totals.accuracy == 0.5 and before.totals.verified == 0

    response = client.post(
        reverse("attempt_verdict", kwargs={"pk": misread.pk}), {"verdict": "correct", "label": ""}
    )
    assert response.status_code == 302

    _, after = figures(client, classroom)
    assert after.totals.accuracy == 1.0
    assert after.totals.verified == 1
    assert row_of(after, student).correct == 2
    assert {c.character: c.correct for c in after.characters}["b"] == 1
    misread.refresh_from_db()
    assert misread.verified and misread.verified_label == "b"
    assert misread.verified_by == classroom.teacher and misread.verified_at is not None
    # The confusion map keeps what the recogniser read: it is about the recogniser.
    assert after.confusion.counts[("b", "d")] == 1


def test_overruling_a_correct_attempt_as_wrong_lowers_the_figures(
    client_as, classroom, exercise, student
):
    looks_right = attempt(student, exercise, "b", "b")
    client = client_as(classroom.teacher)
    client.post(
        reverse("attempt_verdict", kwargs={"pk": looks_right.pk}),
        {"verdict": "wrong", "label": "d"},
    )
    _, dashboard = figures(client, classroom)
    assert dashboard.totals.accuracy == 0.0
    looks_right.refresh_from_db()
    assert looks_right.correct is False and looks_right.verified_label == "d"


def test_withdrawing_a_verdict_brings_back_the_recognisers_reading(
    client_as, classroom, exercise, student
):
    misread = attempt(student, exercise, "b", "d")
    client = client_as(classroom.teacher)
    url = reverse("attempt_verdict", kwargs={"pk": misread.pk})
    client.post(url, {"verdict": "correct"})
    client.post(url, {"verdict": "clear"})
    misread.refresh_from_db()
    assert misread.correct is False and not misread.verified and misread.verified_label == ""


@pytest.mark.parametrize(
    ("verdict", "label", "message"),
    [
        ("correct", "d", "is not what was asked"),
        ("wrong", "b", "is what was asked"),
        ("correct", "%", "must be a digit or a letter"),
    ],
)
def test_a_contradictory_verdict_is_refused(
    client_as, classroom, exercise, student, verdict, label, message
):
    target_b = attempt(student, exercise, "b", "d")
    client = client_as(classroom.teacher)
    response = client.post(
        reverse("attempt_verdict", kwargs={"pk": target_b.pk}),
        {"verdict": verdict, "label": label},
        follow=True,
    )
    assert message in response.content.decode()
    target_b.refresh_from_db()
    assert not target_b.verified and target_b.correct is False


def test_a_pending_attempt_cannot_be_judged(client_as, classroom, exercise, student):
    waiting = pending(student, exercise, "b")
    response = client_as(classroom.teacher).post(
        reverse("attempt_verdict", kwargs={"pk": waiting.pk}), {"verdict": "correct"}, follow=True
    )
    assert "Wait until the attempt has been checked." in response.content.decode()
    waiting.refresh_from_db()
    assert not waiting.verified and waiting.correct is None


def test_verified_attempts_count_for_training_only_once_the_class_allows_it(
    client_as, classroom, exercise, student
):
    confirmed = attempt(student, exercise, "b", "d")
    overruled = attempt(student, exercise, "d", "d")
    unlabelled = attempt(student, exercise, "p", "p")
    attempt(student, exercise, "b", "b")  # not verified: never used
    client = client_as(classroom.teacher)
    client.post(reverse("attempt_verdict", kwargs={"pk": confirmed.pk}), {"verdict": "correct"})
    client.post(
        reverse("attempt_verdict", kwargs={"pk": overruled.pk}), {"verdict": "wrong", "label": "b"}
    )
    client.post(reverse("attempt_verdict", kwargs={"pk": unlabelled.pk}), {"verdict": "wrong"})

    _, off = figures(client, classroom)
    assert off.eligible_for_training == 0 and off.totals.verified == 3
    assert list(selectors.verified_training_attempts()) == []

    response = client.post(
        reverse("class_training_use", kwargs={"pk": classroom.pk}), {"allowed": "on"}
    )
    assert response.status_code == 302
    response, on = figures(client, classroom)
    assert on.eligible_for_training == 2  # a "wrong" without the true character is unusable
    assert "<strong>2</strong> verified attempts" in response.content.decode()
    strokes = confirmed.ink["strokes"]
    teacher = classroom.teacher.pk
    assert sorted(selectors.verified_training_attempts()) == sorted(
        [("b", strokes, student.pk, teacher), ("b", overruled.ink["strokes"], student.pk, teacher)]
    )

    client.post(reverse("class_training_use", kwargs={"pk": classroom.pk}), {})
    classroom.refresh_from_db()
    assert not classroom.allow_training_use
    assert selectors.verified_training_count(classroom) == 0


def test_classes_do_not_allow_training_use_by_default(classroom):
    assert classroom.allow_training_use is False
