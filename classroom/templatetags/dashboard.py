"""Template filters of the dashboards."""

import base64

from django import template
from django.utils.safestring import SafeString

from classroom import charts

register = template.Library()


@register.filter
def png_data_url(image: bytes | memoryview | None) -> str:
    """An attempt's small stored PNG inline, so a page of thumbnails is one request and
    needs no second permission check."""
    if not image:
        return ""
    return "data:image/png;base64," + base64.b64encode(bytes(image)).decode("ascii")


@register.filter
def percent(value: float | None) -> str:
    return "-" if value is None else f"{round(100 * value)}%"


@register.filter
def sort_value(value: float | None) -> str:
    """A number the table sorter can compare; missing values sort first."""
    return "-1" if value is None else f"{value:.4f}"


@register.filter
def ink_svg(ink: object, target: str = "") -> SafeString:
    """Stored ink drawn as an SVG on the server (`charts.ink_picture`): no script, prints."""
    label = f"The drawing of “{target}”" if target else "The drawing"
    return charts.ink_picture(ink, label=f"{label}, stroke by stroke (numbers: stroke order)")
