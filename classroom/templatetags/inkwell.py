"""Template helpers for the site's pages."""

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

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
