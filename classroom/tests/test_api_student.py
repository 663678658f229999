"""The student's REST API: own attempts (filters, pagination, detail) and exercises."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from classroom.tests.factories import AttemptFactory, ExerciseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def exercise(classroom):
    return ExerciseFactory.create(classroom=classroom, characters="ab", repetitions=2)


@pytest.fixture
def api(client_as, student):
    return client_as(student)


def test_the_list_holds_only_the_students_own_attempts(api, student, other_student, exercise):
    mine = AttemptFactory.create(student=student, exercise=exercise, target="a")
    AttemptFactory.create(student=other_student, exercise=exercise, target="a")
    body = api.get("/api/v1/attempts").json()
    assert body["count"] == 1
    assert [row["id"] for row in body["results"]] == [mine.pk]
    assert "ink" not in body["results"][0]


def test_the_list_filters_and_paginates(api, student, exercise):
    old = timezone.now() - timedelta(days=10)
    for i in range(55):
        AttemptFactory.create(student=student, exercise=exercise, target="ab"[i % 2],
                              correct=i % 3 == 0)  # fmt: skip
    first = AttemptFactory.create(student=student, exercise=exercise, target="a", correct=False)
    type(first).objects.filter(pk=first.pk).update(created_at=old)
    page = api.get("/api/v1/attempts").json()
    assert page["count"] == 56 and len(page["results"]) == 50 and page["next"]
    assert api.get("/api/v1/attempts?target=b").json()["count"] == 27
    assert api.get("/api/v1/attempts?correct=true&target=a").json()["count"] == 10
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert api.get(f"/api/v1/attempts?since={since}").json()["count"] == 55


def test_the_period_reads_from_and_to_with_since_and_until_as_aliases(api, student, exercise):
    old = AttemptFactory.create(student=student, exercise=exercise)
    type(old).objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    new = AttemptFactory.create(student=student, exercise=exercise)
    day = (timezone.localdate() - timedelta(days=5)).isoformat()
    today = timezone.localdate().isoformat()

    def ids(query: str) -> list[int]:
        return [row["id"] for row in api.get(f"/api/v1/attempts?{query}").json()["results"]]

    assert ids(f"from={day}") == ids(f"since={day}") == [new.pk]
    assert ids(f"to={day}") == ids(f"until={day}") == [old.pk]
    assert ids(f"to={today}") == [new.pk, old.pk]  # a "to" date includes its day
    assert ids(f"until={today}") == [old.pk]  # "until" stays exclusive


@pytest.mark.parametrize(
    "query", ["correct=maybe", "since=yesterday", "from=soon", "exercise=x", "status=odd"]
)
def test_bad_filters_get_a_clear_400(api, query):
    response = api.get(f"/api/v1/attempts?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_filter"


def test_the_detail_has_the_ink_and_is_private(api, client_as, student, other_student, exercise):
    attempt = AttemptFactory.create(student=student, exercise=exercise, target="a")
    body = api.get(f"/api/v1/attempts/{attempt.pk}").json()
    assert body["ink"] == attempt.ink and "candidates" in body
    assert client_as(other_student).get(f"/api/v1/attempts/{attempt.pk}").status_code == 404


def test_exercises_of_the_students_classes_with_progress(api, student, exercise, other_student):
    ExerciseFactory.create()  # another class's
    AttemptFactory.create(student=student, exercise=exercise, target="a", correct=True)
    body = api.get("/api/v1/exercises").json()
    assert [row["id"] for row in body] == [exercise.pk]
    assert body[0]["progress"] == {"done": 1, "total": 4}


def test_a_token_works_and_anonymous_callers_are_refused(client, student):
    token = Token.objects.create(user=student)
    assert client.get("/api/v1/attempts").status_code == 403  # decision 005
    response = client.get("/api/v1/exercises", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


def test_the_openapi_schema_and_swagger_ui_are_served_locally(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/recognize", "/api/v1/attempts", "/api/v1/exercises"):
        assert path in text
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    # Every script and stylesheet comes from this site (the page's random CSRF token once
    # held the letters "cdn", so the words on the page are not what to check).
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs)
    assert assets and all(url.startswith("/") for url in assets), assets
    assert "/static/drf_spectacular_sidecar/" in docs
