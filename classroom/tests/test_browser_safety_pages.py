"""The pages of issue #16 as people see them, in Chromium at a tablet's and a laptop's size:
a locked-out sign-in, the teacher letting the student back in, and deleting a student."""

from pathlib import Path

import pytest
import requests

from classroom.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIZES = {"tablet": {"width": 820, "height": 1180}, "laptop": {"width": 1366, "height": 800}}


@pytest.fixture
def http_cookies(settings) -> None:
    settings.SESSION_COOKIE_SECURE = False  # the live server speaks plain HTTP
    settings.CSRF_COOKIE_SECURE = False


def teacher_context(browser, client, teacher, base: str, size: dict):
    client.force_login(teacher)
    context = browser.new_context(viewport=size)
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                          "url": base}])  # fmt: skip
    return context


@pytest.mark.parametrize("size", list(SIZES))
def test_a_locked_out_student_and_the_teacher_who_lets_them_back_in(
    live_server, browser, screenshot_dir: Path, http_cookies, client, settings, teacher,
    classroom, student, size,
):  # fmt: skip
    base = live_server.url
    with requests.Session() as session:  # wrong passwords; the browser's makes ten
        session.get(f"{base}/accounts/login/", timeout=10)
        token = session.cookies["csrftoken"]
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            session.post(f"{base}/accounts/login/", timeout=10, headers={"Referer": base},
                         data={"username": student.username, "password": "wrong",
                               "csrfmiddlewaretoken": token})  # fmt: skip

    anonymous = browser.new_context(viewport=SIZES[size])
    page = anonymous.new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(student.username)
    page.get_by_label("Password").fill("still-wrong")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Please wait a moment").wait_for()
    page.screenshot(path=str(screenshot_dir / f"locked_out_{size}.png"), full_page=True)
    anonymous.close()

    context = teacher_context(browser, client, teacher, base, SIZES[size])
    page = context.new_page()
    page.goto(f"{base}/classes/{classroom.pk}/students/{student.pk}/")
    page.get_by_text("cannot sign in for a while").wait_for()
    page.screenshot(path=str(screenshot_dir / f"student_locked_teacher_{size}.png"), full_page=True)
    page.get_by_role("button", name=f"Let {student} sign in again").click()
    page.get_by_text(f"{student} can sign in again.").wait_for()
    assert page.get_by_text("cannot sign in for a while").count() == 0

    page.get_by_role("link", name=f"Delete {student}…").click()
    page.get_by_role("heading", name=f"Delete {student}?").wait_for()
    page.screenshot(path=str(screenshot_dir / f"student_delete_{size}.png"), full_page=True)
    page.get_by_role("button", name=f"Delete {student} and their data").click()
    page.get_by_text("and everything stored about them are deleted").wait_for()
    context.close()
    assert not User.objects.filter(pk=student.pk).exists()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_teacher_adds_students_by_name_and_prints_login_cards(
    live_server, browser, screenshot_dir: Path, http_cookies, client, teacher, classroom, size
):
    base = live_server.url
    context = teacher_context(browser, client, teacher, base, SIZES[size])
    page = context.new_page()
    page.goto(f"{base}/classes/{classroom.pk}/")
    page.get_by_role("link", name="Add students").click()
    page.get_by_label("Names").fill("Ada Lovelace\nAlan Turing\nGrace Hopper\nKatherine Johnson")
    page.screenshot(path=str(screenshot_dir / f"students_add_{size}.png"), full_page=True)
    page.get_by_role("button", name="Add them and make login cards").click()
    page.get_by_role("heading", name="Login cards").wait_for()
    assert page.locator(".login-card").count() == 4
    page.screenshot(path=str(screenshot_dir / f"login_cards_{size}.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_teacher_adds_a_class_from_a_csv_file(
    live_server, browser, screenshot_dir: Path, http_cookies, client, teacher, classroom, size,
    tmp_path,
):  # fmt: skip
    base = live_server.url
    context = teacher_context(browser, client, teacher, base, SIZES[size])
    page = context.new_page()
    page.goto(f"{base}/classes/{classroom.pk}/students/add/")
    bad = tmp_path / "class.csv"
    bad.write_bytes("Zoë,Müller\n".encode("utf-16"))
    page.get_by_label("Or a CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Add them and make login cards").click()
    page.get_by_text("That file is not UTF-8 text").wait_for()
    page.screenshot(path=str(screenshot_dir / f"students_add_bad_file_{size}.png"), full_page=True)
    good = tmp_path / "class-utf8.csv"
    good.write_text("First name,Last name\nAda,Lovelace\nAlan,Turing\n", encoding="utf-8")
    page.get_by_label("Or a CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Add them and make login cards").click()
    page.get_by_role("heading", name="Login cards").wait_for()
    assert page.locator(".login-card").count() == 2
    context.close()
    added = User.objects.filter(memberships__classroom=classroom).order_by("last_name")
    assert [(u.first_name, u.last_name) for u in added] == [("Ada", "Lovelace"), ("Alan", "Turing")]
