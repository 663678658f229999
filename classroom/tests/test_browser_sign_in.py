"""In Chromium: the teacher prints login cards (screen and print media), and a child on a
touch tablet opens the class's sign-in page, taps their name and two pictures, and is home.
No page breaks the Content-Security-Policy (each refusal would show on the console)."""

import os
from pathlib import Path

import pytest

from classroom import services
from classroom.cards import card_make
from classroom.models import LoginCard, Membership

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM calls beside Playwright's event loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIZES = {"tablet": {"width": 820, "height": 1180}, "laptop": {"width": 1366, "height": 800}}


@pytest.fixture
def http_cookies(settings) -> None:
    settings.SESSION_COOKIE_SECURE = False  # the live server speaks plain HTTP
    settings.CSRF_COOKIE_SECURE = False


def csp_watch(page) -> list[str]:
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return refused


@pytest.mark.parametrize("size", list(SIZES))
def test_the_teacher_prints_login_cards_with_pictures_and_the_qr_code(
    live_server, browser, screenshot_dir: Path, http_cookies, client, teacher, classroom, size
):
    base = live_server.url
    client.force_login(teacher)
    context = browser.new_context(viewport=SIZES[size])
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                          "url": base}])  # fmt: skip
    page = context.new_page()
    refused = csp_watch(page)
    page.goto(f"{base}/classes/{classroom.pk}/students/add/")
    page.get_by_label("Names").fill("Ada Lovelace\nAlan Turing\nGrace Hopper\nKatherine Johnson")
    page.get_by_role("button", name="Add them and make login cards").click()
    page.get_by_role("heading", name="Login cards").wait_for()
    assert page.locator(".login-card").count() == 4
    assert page.locator(".login-card svg.qr-code").count() == 4
    assert page.locator(".login-card-pictures img").count() == 8
    page.wait_for_load_state("load")  # every picture drawn before the screenshot
    page.screenshot(path=str(screenshot_dir / f"login_cards_{size}.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()  # the print stylesheet applies
    page.screenshot(path=str(screenshot_dir / f"login_cards_print_{size}.png"), full_page=True)
    page.emulate_media(media="screen")

    page.goto(f"{base}/classes/{classroom.pk}/login-cards/")
    page.get_by_role("heading", name="Sign-in page and login cards").wait_for()
    page.screenshot(path=str(screenshot_dir / f"class_sign_in_cards_{size}.png"), full_page=True)
    page.get_by_role("link", name=f"/classes/{classroom.sign_in_token}/sign-in/").click()
    page.get_by_role("heading", name="Tap your name").wait_for()
    assert page.locator(".sign-in-name").count() == 4
    page.screenshot(path=str(screenshot_dir / f"sign_in_names_{size}.png"), full_page=True)
    context.close()
    assert refused == []


def test_a_child_on_a_touch_tablet_taps_their_name_and_two_pictures_and_is_home(
    live_server, browser, screenshot_dir: Path, http_cookies, classroom, student
):
    secret = card_make(
        membership=Membership.objects.get(classroom=classroom, student=student),
        kind=LoginCard.Kind.PICTURES,
    )
    services.class_add_students(classroom=classroom, names=["Alan Turing", "Grace Hopper"])
    base = live_server.url
    context = browser.new_context(viewport=SIZES["tablet"], has_touch=True, is_mobile=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    refused = csp_watch(page)
    page.goto(f"{base}/classes/{classroom.sign_in_token}/sign-in/")
    page.get_by_role("link", name="Ada", exact=True).tap()
    page.get_by_role("heading", name="Hello, Ada!").wait_for()
    page.wait_for_load_state("load")
    page.screenshot(path=str(screenshot_dir / "sign_in_pictures_tablet.png"), full_page=True)

    first, second = secret.pictures
    page.get_by_role("button", name=first, exact=True).tap()
    page.locator(".picture-slot.filled img").first.wait_for()
    assert page.get_by_role("button", name="Start again").is_visible()
    page.screenshot(path=str(screenshot_dir / "sign_in_one_picture_tablet.png"), full_page=True)
    page.get_by_role("button", name=second, exact=True).tap()
    page.wait_for_url(f"{base}/")
    page.get_by_role("heading", name="Your exercises").wait_for()
    page.screenshot(path=str(screenshot_dir / "sign_in_home_tablet.png"), full_page=True)
    session = next(c for c in context.cookies() if c["name"] == "sessionid")
    assert session["expires"] == -1  # a browser-session cookie, as for any student login
    context.close()
    assert refused == []


def test_a_child_who_taps_the_wrong_pictures_is_asked_again(
    live_server, browser, screenshot_dir: Path, http_cookies, classroom, student
):
    secret = card_make(
        membership=Membership.objects.get(classroom=classroom, student=student),
        kind=LoginCard.Kind.PICTURES,
    )
    wrong = "moon" if secret.pictures[0] != "moon" else "sun"
    context = browser.new_context(viewport=SIZES["laptop"])
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/classes/{classroom.sign_in_token}/sign-in/{student.pk}/")
    page.get_by_role("button", name=wrong, exact=True).click()
    page.get_by_role("button", name="Start again").click()
    assert page.locator(".picture-slot.filled").count() == 0
    page.get_by_role("button", name=wrong, exact=True).click()
    page.get_by_role("button", name=secret.pictures[1], exact=True).click()
    page.get_by_role("alert").filter(has_text="That is not it. Try again!").wait_for()
    page.wait_for_load_state("load")
    page.screenshot(path=str(screenshot_dir / "sign_in_wrong_laptop.png"))
    assert not any(c["name"] == "sessionid" for c in context.cookies())
    context.close()
