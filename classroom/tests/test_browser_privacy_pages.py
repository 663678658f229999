"""The pages of issue #16's vetting and privacy as people see them, in Chromium at a
tablet's and a laptop's size: a teacher's invitations (copied, used, revoked), signing up
with the link, and a student's data as the teacher reads it, on screen and on paper."""

from pathlib import Path

import pytest

from chat import services as chat
from classroom import services
from classroom.models import User
from classroom.tests.factories import AttemptFactory, ExerciseFactory
from classroom.tests.test_browser_safety_pages import SIZES, teacher_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

B_STROKES = [[[10, 0, 0], [10, 60, 300]], [[10, 40, 400], [30, 36, 500], [34, 52, 600],
             [22, 60, 700], [10, 56, 800]]]  # fmt: skip


def csp_violations(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security" in m.text else None)
    return found


@pytest.fixture
def http_cookies(settings) -> None:
    settings.SESSION_COOKIE_SECURE = False  # the live server speaks plain HTTP
    settings.CSRF_COOKIE_SECURE = False


@pytest.mark.parametrize("size", list(SIZES))
def test_a_teacher_invites_a_colleague_who_signs_up_with_the_link(
    live_server, browser, screenshot_dir: Path, http_cookies, client, teacher, size
):
    base = live_server.url
    used = services.teacher_invite(actor=teacher, note="Mrs Loop")
    services.user_sign_up(username="mrs_loop", password="blue-kite-over-hill",
                          role="teacher", invitation=used.code)  # fmt: skip
    services.teacher_invitation_revoke(
        actor=teacher, invitation=services.teacher_invite(actor=teacher, note="Mr Wrong")
    )
    context = teacher_context(browser, client, teacher, base, SIZES[size])
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    violations = csp_violations(page)
    page.goto(f"{base}/")
    page.get_by_role("link", name="Invite a teacher").click()
    page.get_by_label("Who is it for? (optional)").fill("Mr Ink (Year 2)")
    page.get_by_role("button", name="Make an invitation link").click()
    page.get_by_text("Invitation made").wait_for()
    fresh = page.locator('[data-state="open"]')
    assert fresh.count() == 1 and "For Mr Ink (Year 2)" in fresh.inner_text()
    fresh.get_by_role("button", name="Copy link").click()
    fresh.get_by_role("button", name="Copied ✓").wait_for()
    link = fresh.get_by_label("Invitation link").input_value()
    assert page.locator('[data-state="used"]').inner_text().count("mrs_loop") == 1
    assert page.locator('[data-state="revoked"]').count() == 1
    page.screenshot(path=str(screenshot_dir / f"teacher_invitations_{size}.png"), full_page=True)
    context.close()

    newcomer = browser.new_context(viewport=SIZES[size])
    page = newcomer.new_page()
    violations += csp_violations(page)
    page.goto(link)
    page.get_by_text("Ms Quill invited you to teach on Inkwell").wait_for()
    assert page.get_by_label("Teacher", exact=True).is_checked()
    page.screenshot(path=str(screenshot_dir / f"signup_invited_{size}.png"), full_page=True)
    page.get_by_label("Username").fill("mr_ink")
    page.get_by_label("Password", exact=True).fill("blue-kite-over-hill")
    page.get_by_label("Password confirmation").fill("blue-kite-over-hill")
    page.get_by_role("button", name="Create my account").click()
    page.get_by_role("link", name="+ New class").wait_for()
    newcomer.close()
    assert User.objects.get(username="mr_ink").is_teacher
    assert violations == []


@pytest.mark.parametrize("size", list(SIZES))
def test_the_teacher_reads_and_prints_everything_stored_about_a_student(
    live_server, browser, screenshot_dir: Path, http_cookies, client, teacher, classroom,
    student, size,
):  # fmt: skip
    exercise = ExerciseFactory.create(classroom=classroom, title="Tall letters", characters="bdh")
    checks = [{"name": "legible", "ok": True, "message": ""},
              {"name": "order", "ok": False, "message": "Start with the tall stroke."}]  # fmt: skip
    for target, read, correct in (("b", "b", True), ("d", "b", False), ("h", "h", True)):
        attempt = AttemptFactory.create(
            student=student, exercise=exercise, target=target, predicted_label=read,
            correct=correct, score=88 if correct else 35, confidence=0.9, status="recognized",
            ink={"strokes": B_STROKES}, checks=checks, time_taken_ms=1800,
        )  # fmt: skip
    services.attempt_set_verdict(attempt=attempt, teacher=teacher, correct=True)
    chat.comment_add(teacher=teacher, attempt=attempt, body="A lovely tall h!", sticker="star")
    chat.message_post(user=student, classroom=classroom, body="I finished the tall letters")

    base = live_server.url
    context = teacher_context(browser, client, teacher, base, SIZES[size])
    page = context.new_page()
    violations = csp_violations(page)
    page.goto(f"{base}/classes/{classroom.pk}/students/{student.pk}/")
    page.get_by_role("link", name=f"All of {student}'s data").click()
    page.get_by_role("heading", name=f"Everything Inkwell holds about {student}").wait_for()
    assert page.locator("svg.ink-picture path").count() == 3 * len(B_STROKES)
    assert page.get_by_text("A lovely tall h!").count() == 1
    assert page.get_by_text("I finished the tall letters").count() == 1
    page.screenshot(path=str(screenshot_dir / f"student_data_{size}.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.get_by_role("button", name="Print").is_visible()
    page.screenshot(path=str(screenshot_dir / f"student_data_print_{size}.png"), full_page=True)
    context.close()
    assert violations == []
