"""Template helpers for the site's pages."""

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def url_or(name: str, fallback: str) -> str:
    """The URL named `name`, or `fallback` while the app that serves it is not installed."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


@register.filter
def words_for(exercise: Any, student: Any) -> list[str]:
    """The words `student` practises in a words or own-name exercise."""
    return list(exercise.words_for(student)) if getattr(student, "is_student", False) else []


@register.simple_tag
def progress_bar(progress: Any, label: str = "") -> str:
    """A progress bar with "done / total" (words when counted in words): the one markup of
    `includes/progress.html`, a tag so that a table of a class's cells renders quickly."""
    unit = (" words" if progress.total != 1 else " word") if progress.words else ""
    done = " ✓ done" if progress.complete else ""
    return format_html(
        # A <progress>, not a width in a style attribute: the CSP allows none.
        '<div class="progress{}">\n  <progress class="progress-bar" max="100" value="{}" '
        'aria-label="{}">{}%</progress>\n'
        '  <span class="progress-text">{} / {}{}{}</span>\n</div>',
        " progress-complete" if progress.complete else "",
        progress.percent,
        label or "Progress",
        progress.percent,
        progress.done,
        progress.total,
        unit,
        done,
    )
