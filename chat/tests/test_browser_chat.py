"""The room in headless Chromium against the real server: a teacher comments on an attempt
from its page and the student, in the class room, sees it linked to that attempt; text
stays text."""

import pytest

from classroom.tests.factories import AttemptFactory, ExerciseFactory
from classroom.tests.test_browser_practice import logged_in_context

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_teachers_comment_reaches_the_student_in_the_room(
    asgi_server, browser, screenshot_dir, teacher, student, classroom
):
    from django.test import Client

    exercise = ExerciseFactory.create(classroom=classroom, title="Letters", characters="ab")
    attempt = AttemptFactory.create(student=student, exercise=exercise, target="a", score=64)
    pupil = logged_in_context(browser, Client(), student)
    head = logged_in_context(browser, Client(), teacher)
    try:
        room = pupil.new_page()
        room.goto(f"{asgi_server}/classes/{classroom.pk}/chat/")
        room.wait_for_selector("#chat-status[data-state=open]", timeout=10_000)
        room.fill("#chat-input", "<img src=x onerror=alert(1)> hello")
        room.keyboard.press("Enter")
        room.wait_for_selector(".chat-message.role-student", timeout=10_000)
        shown = room.locator(".chat-message.role-student .chat-body").inner_text()
        assert shown == "<img src=x onerror=alert(1)> hello"
        assert room.locator(".chat-messages img").count() == 0

        page = head.new_page()
        page.goto(f"{asgi_server}/attempts/{attempt.pk}/")
        page.fill("#comment-body", "Start the a at the top, then round.")
        page.select_option("#comment-sticker", "pencil")
        page.click("#comment-form button[type=submit]")
        page.wait_for_selector("#comment-list li", timeout=10_000)
        assert "Start the a at the top" in page.inner_text("#comment-list")

        feedback = room.wait_for_selector(".chat-message.kind-feedback", timeout=10_000)
        assert "Start the a at the top, then round." in feedback.inner_text()
        link = room.locator(".chat-message.kind-feedback .chat-attempt")
        assert link.get_attribute("href") == f"/attempts/{attempt.pk}/"
        assert "score 64" in link.inner_text()
        for width, height in ((820, 1180), (1366, 800)):
            room.set_viewport_size({"width": width, "height": height})
            room.screenshot(path=str(screenshot_dir / f"chat_room_{width}.png"), full_page=True)
        link.click()
        room.wait_for_url(f"**/attempts/{attempt.pk}/")
        assert "Start the a at the top" in room.inner_text("#comments")
    finally:
        pupil.close()
        head.close()


def test_the_teacher_removes_a_message_and_closes_the_room_from_the_page(
    asgi_server, browser, screenshot_dir, teacher, student, classroom
):
    from django.test import Client

    pupil = logged_in_context(browser, Client(), student)
    head = logged_in_context(browser, Client(), teacher)
    try:
        room = pupil.new_page()
        room.goto(f"{asgi_server}/classes/{classroom.pk}/chat/")
        room.wait_for_selector("#chat-status[data-state=open]", timeout=10_000)
        room.fill("#chat-input", "Look at this: https://example.com/cats")
        room.keyboard.press("Enter")
        room.wait_for_selector(".chat-message.role-student a[href='https://example.com/cats']")

        page = head.new_page()
        page.set_viewport_size({"width": 1366, "height": 800})
        page.goto(f"{asgi_server}/classes/{classroom.pk}/chat/")
        page.wait_for_selector(".chat-message.role-student .chat-remove", timeout=10_000)
        # Two people present (a selector: the CSP forbids wait_for_function's eval).
        page.wait_for_selector("#chat-presence li:nth-child(2):last-child", timeout=10_000)
        page.screenshot(path=str(screenshot_dir / "chat_room_teacher.png"), full_page=True)
        page.click(".chat-message.role-student .chat-remove")
        room.wait_for_selector(".chat-message.is-removed", timeout=10_000)
        assert "removed by the teacher" in room.inner_text(".chat-message.is-removed")
        page.click("#room-toggle")
        room.wait_for_selector("#room-closed:not([hidden])", timeout=10_000)
        assert room.locator("#chat-send").is_disabled()
        page.goto(f"{asgi_server}/classes/{classroom.pk}/")
        page.screenshot(path=str(screenshot_dir / "class_discord.png"), full_page=True)
    finally:
        pupil.close()
        head.close()
