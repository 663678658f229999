"""Every named URL of the site is in an access matrix, or in the short list below of URLs
whose access is tested elsewhere (with where). A new page without a row fails here."""

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from chat.tests.test_permissions import MATRIX as CHAT_MATRIX
from classroom.tests.factories import TeacherFactory
from classroom.tests.test_dashboard_permissions import MATRIX as DASHBOARD_MATRIX
from classroom.tests.test_permissions import MATRIX as CLASSROOM_MATRIX

# URL name -> the test that decides who may use it.
COVERED_ELSEWHERE = {
    "api-recognize": "classroom/tests/test_dashboard_permissions.py::"
    "test_the_recognize_api_answers_each_visitor",
}
# Django's admin site: the admin:index row of classroom/tests/test_permissions.py, and
# test_the_admin_refuses_a_teacher_on_every_page below (each admin view is the admin's own,
# behind admin_site.admin_view); its actions in classroom/tests/test_admin.py and
# recognition/tests/test_registry.py.
ADMIN_NAMESPACE = "admin"


def url_names(patterns: list, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    """(namespaced name, pattern) of every named route under `patterns`."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_names(entry.url_patterns, inner)
        elif entry.name:
            yield f"{namespace}{entry.name}", entry


def in_a_matrix() -> set[str]:
    return {row[0] for row in [*CLASSROOM_MATRIX, *DASHBOARD_MATRIX, *CHAT_MATRIX]}


def test_every_named_url_is_in_an_access_matrix() -> None:
    names = {name for name, _ in url_names(get_resolver().url_patterns)}
    assert len(names) > 60  # the walk found the site's URLs, the admin's among them
    missing = {
        name
        for name in names - in_a_matrix() - set(COVERED_ELSEWHERE)
        if not name.startswith(f"{ADMIN_NAMESPACE}:")
    }
    assert not missing, f"URLs with no row in an access matrix: {sorted(missing)}"


# Rows that try a URL again with other data (a words or own-name exercise), under their own
# label: the URL each one visits.
VARIANTS = {
    "exercise_create_words": "exercise_create",
    "exercise_create_name": "exercise_create",
    "words_detail": "exercise_detail",
    "name_detail": "exercise_detail",
    "words_edit": "exercise_edit",
    "name_edit": "exercise_edit",
    "words_practice": "practice",
    "name_practice": "practice",
}


def test_the_lists_name_only_urls_that_exist() -> None:
    names = {name for name, _ in url_names(get_resolver().url_patterns)}
    listed = {VARIANTS.get(label, label) for label in in_a_matrix()}
    assert (listed | set(COVERED_ELSEWHERE)) <= names


def admin_urls() -> list[str]:
    """Every admin page that reverses with no argument, or with one object id."""
    urls = []
    for name, _ in url_names(get_resolver().url_patterns):
        if not name.startswith(f"{ADMIN_NAMESPACE}:"):
            continue
        for args in ([], ["1"]):
            try:
                urls.append(reverse(name, args=args))
                break
            except NoReverseMatch:
                continue
    return sorted(set(urls))


@pytest.mark.django_db
def test_the_admin_refuses_a_teacher_on_every_page() -> None:
    urls = admin_urls()
    assert len(urls) > 50
    client = Client()
    client.force_login(TeacherFactory.create())
    for url in urls:
        response = client.get(url)
        # The admin's login page, which a signed-in non-staff user sees as a refusal.
        if url == reverse("admin:login"):
            assert "not authorized to access this page" in response.content.decode(), url
            continue
        if url == reverse("admin:logout"):  # signs out whoever asks, staff or not
            continue
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
