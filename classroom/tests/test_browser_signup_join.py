"""A teacher signs up and makes a class; a student joins with the code read off the page.

Runs in headless Chromium against the live server; the screenshots of each main page
are kept in artifacts/screenshots/ for the README tour.
"""

import os
import re
from pathlib import Path

import pytest

from classroom import services
from classroom.models import Classroom, Membership, User

# Playwright's sync API runs an event loop in this thread; the ORM calls here are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "plum-tree-lantern-42"


@pytest.fixture
def http_cookies(settings) -> None:
    # The live server speaks plain HTTP.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


def _sign_up(page, base: str, username: str, role: str, code: str = "") -> None:
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_role("radio", name=role.capitalize(), exact=True).check()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    code_field = page.get_by_label("Class code (optional)")
    # Only students join with a code: the field hides itself when "Teacher" is picked.
    assert code_field.is_visible() == (role == "student")
    if code:
        code_field.fill(code)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(f"{base}/")


def test_a_teacher_makes_a_class_and_a_student_joins_with_its_code(
    live_server, browser, screenshot_dir: Path, http_cookies: None
) -> None:
    base = live_server.url
    teacher_context = browser.new_context(viewport={"width": 1280, "height": 860})
    teacher_context.set_default_timeout(10_000)
    teacher = teacher_context.new_page()

    teacher.goto(f"{base}/")
    teacher.get_by_role("heading", level=1).wait_for()
    teacher.screenshot(path=str(screenshot_dir / "landing.png"), full_page=True)

    _sign_up(teacher, base, "msquill", "teacher")
    teacher.get_by_text("an admin checks").wait_for()  # teachers are vetted
    services.teacher_approve(
        actor=User.objects.create(username="admin", is_staff=True),
        user=User.objects.get(username="msquill"),
    )
    teacher.goto(f"{base}/")
    teacher.get_by_role("link", name="+ New class").first.click()
    teacher.get_by_label("Class name").fill("Class 2 Robins")
    teacher.get_by_role("button", name="Create class").click()
    teacher.wait_for_url(re.compile(r"/classes/\d+/$"))
    code = teacher.locator("[data-join-code]").get_attribute("data-join-code")
    shown = teacher.locator(".join-code").inner_text()
    assert code and re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", code)
    assert shown.replace("-", "") == code

    teacher.get_by_role("link", name="+ New exercise").click()
    teacher.get_by_label("Title").fill("Digits")
    teacher.get_by_role("textbox", name="Characters").fill("0123456789")
    teacher.get_by_label("Repetitions").fill("2")
    teacher.get_by_role("button", name="Add exercise").click()
    teacher.wait_for_url(re.compile(r"/classes/\d+/$"))

    student_context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
    student_context.set_default_timeout(10_000)
    student = student_context.new_page()
    student.goto(f"{base}/accounts/login/")
    student.screenshot(path=str(screenshot_dir / "login.png"), full_page=True)
    # Typed the way a child copies it from the board: lower case, with the dash.
    _sign_up(student, base, "robin", "student", code=shown.lower())
    student.get_by_text("Class 2 Robins").first.wait_for()
    assert student.get_by_role("heading", name="Digits").is_visible()
    student.screenshot(path=str(screenshot_dir / "student_home.png"), full_page=True)

    classroom = Classroom.objects.get(name="Class 2 Robins")
    assert Membership.objects.filter(classroom=classroom, student__username="robin").exists()

    teacher.reload()
    teacher.get_by_role("rowheader", name="robin").wait_for()
    teacher.screenshot(path=str(screenshot_dir / "class_detail.png"), full_page=True)
    teacher.goto(f"{base}/")
    assert "1 student" in teacher.locator(".class-cards").inner_text()
    teacher.screenshot(path=str(screenshot_dir / "teacher_home.png"), full_page=True)

    teacher_context.close()
    student_context.close()
