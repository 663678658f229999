"""Crafted query strings and bodies are a 400 with a stable code, never a 500."""

import pytest

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = [
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
]


@pytest.mark.parametrize("query", ["target=%00", "target=ab", "target=%E2%82%AC"])
def test_a_target_that_is_not_one_character_is_a_bad_filter(client_as, student, query):
    response = client_as(student).get(f"/api/v1/attempts?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_filter"


@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_an_out_of_range_date_on_the_attempts_api_is_a_bad_filter(client_as, student, name, value):
    response = client_as(student).get("/api/v1/attempts", {name: value})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_filter"


@pytest.mark.parametrize("name", ["from", "to"])
@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_an_out_of_range_date_on_the_dashboard_api_is_a_bad_filter(
    client_as, teacher, classroom, name, value
):
    response = client_as(teacher).get(f"/api/v1/classes/{classroom.pk}/dashboard", {name: value})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_filter"


@pytest.mark.parametrize("name", ["from", "to"])
def test_an_out_of_range_date_on_the_dashboard_page_shows_the_form_error(
    client_as, teacher, classroom, name
):
    response = client_as(teacher).get(f"/classes/{classroom.pk}/dashboard/", {name: "9999-12-31"})
    assert response.status_code == 400
    assert b"Ensure this value is less than or equal to" in response.content


@pytest.mark.parametrize("name", ["from", "to"])
def test_an_out_of_range_date_on_the_csv_is_a_bad_filter(client_as, teacher, classroom, name):
    response = client_as(teacher).get(f"/classes/{classroom.pk}/attempts.csv", {name: "0001-01-01"})
    assert response.status_code == 400
    assert response.content.startswith(b"bad_filter: " + name.encode())


def test_a_nul_byte_in_the_dashboards_drilldown_finds_nothing(client_as, teacher, classroom):
    response = client_as(teacher).get(f"/classes/{classroom.pk}/dashboard/?target=%00&read=%00")
    assert response.status_code == 200


def test_a_json_body_nested_too_deep_is_a_parse_error(client_as, student):
    body = "[" * 100_000 + "]" * 100_000
    response = client_as(student).post("/api/v1/recognize", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_a_date_time_offset_postgresql_cannot_hold_is_still_a_filter(client_as, student):
    response = client_as(student).get("/api/v1/attempts", {"since": "2313-10-10T12:20:48-23:37"})
    assert response.status_code == 200  # compared in UTC (PostgreSQL refuses -23:37)
