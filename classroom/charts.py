"""Server-side SVG pictures for the dashboards and a student's data: no script, no CDN,
sharp at any size (and on paper).

Each picture is `role="img"` with a title and a description; the pages put the same
figures in a table beside it for screen readers and for anyone who would rather read.
"""

import math
from collections.abc import Callable
from html import escape

from django.utils.safestring import SafeString, mark_safe

from classroom.selectors import CharacterCell, Confusion, TimelinePoint

NO_DATA = "#eceef3"
# Text on the heat colours stays dark: every fill below is light enough for 7:1 contrast.
TEXT = "#1c2233"
MUTED = "#4f5872"


def accuracy_colour(accuracy: float | None) -> str:
    """Red (0%) through amber to green (100%), light enough to read dark text on."""
    if accuracy is None:
        return NO_DATA
    hue = round(120 * max(0.0, min(1.0, accuracy)))
    return f"hsl({hue} 70% 80%)"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{round(100 * value)}%"


def _svg(
    width: int, height: int, title: str, desc: str, body: list[str], css: str, min_width: int = 0
) -> SafeString:
    # No style attribute (the CSP allows none): dashboard.js sets the minimum width.
    least = f' data-min-width="{min_width}"' if min_width else ""
    return mark_safe(  # noqa: S308 - every interpolated value is escaped above
        f'<svg class="chart {css}"{least} viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{css}-title {css}-desc" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif">'
        f'<title id="{css}-title">{escape(title)}</title>'
        f'<desc id="{css}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def character_grid(cells: list[CharacterCell], *, columns: int = 10) -> SafeString:
    """One tile per character: the character, the class's accuracy, and how many attempts."""
    size, gap = 72, 6
    rows = max(1, -(-len(cells) // columns))
    width = columns * (size + gap) - gap
    height = rows * (size + gap) - gap
    body = []
    for i, cell in enumerate(cells):
        x, y = (i % columns) * (size + gap), (i // columns) * (size + gap)
        ch = escape(cell.character)
        label = f"{_percent(cell.accuracy)} of {cell.judged}" if cell.judged else "no attempts"
        body.append(
            f'<g class="tile" data-character="{ch}"><title>{ch}: {escape(label)}</title>'
            f'<rect x="{x}" y="{y}" width="{size}" height="{size}" rx="8" '
            f'fill="{accuracy_colour(cell.accuracy)}"/>'
            f'<text x="{x + size / 2}" y="{y + 38}" text-anchor="middle" font-size="30" '
            f'font-weight="600" fill="{TEXT}">{ch}</text>'
            f'<text x="{x + size / 2}" y="{y + 60}" text-anchor="middle" font-size="13" '
            f'fill="{TEXT}">{escape(_percent(cell.accuracy))} · {cell.judged}</text></g>'
        )
    return _svg(
        width,
        height,
        "Accuracy per character",
        "Each tile is a character: green when the class writes it well, red when the "
        "recogniser often reads something else; the number is how many attempts were checked.",
        body,
        "character-grid",
    )


def confusion_map(confusion: Confusion, *, href: Callable[[str, str], str]) -> SafeString:
    """Targets down the side, what the recogniser read across the top; a cell links to its
    attempts. Off-diagonal cells are shaded by their share of the row, so a b/d reversal
    stands out even in a small class."""
    cell, left, top = 30, 34, 34
    width = left + cell * max(1, len(confusion.reads))
    height = top + cell * max(1, len(confusion.targets))
    body = [
        f'<text x="{left - 6}" y="{top - 10}" text-anchor="end" font-size="10" '
        f'fill="{MUTED}">asked ↓ read →</text>'
    ]
    for j, read in enumerate(confusion.reads):
        shown = escape(read) if read else "?"
        body.append(
            f'<text x="{left + j * cell + cell / 2}" y="{top - 10}" text-anchor="middle" '
            f'font-size="15" font-weight="600" fill="{TEXT}">{shown}</text>'
        )
    for i, target in enumerate(confusion.targets):
        y = top + i * cell
        total = confusion.row_total(target) or 1
        body.append(
            f'<text x="{left - 10}" y="{y + cell / 2 + 5}" text-anchor="end" font-size="15" '
            f'font-weight="600" fill="{TEXT}">{escape(target)}</text>'
        )
        for j, read in enumerate(confusion.reads):
            x = left + j * cell
            n = confusion.counts.get((target, read), 0)
            if not n:
                body.append(
                    f'<rect x="{x + 1}" y="{y + 1}" width="{cell - 2}" height="{cell - 2}" '
                    f'fill="#f6f7fa"/>'
                )
                continue
            share = n / total
            lightness = round(95 - 35 * share)
            fill = f"hsl(130 45% {lightness}%)" if read == target else f"hsl(0 75% {lightness}%)"
            what = f"read as {read}" if read else "not recognised"
            body.append(
                f'<a href="{escape(href(target, read))}" class="cell" '
                f'data-target="{escape(target)}" data-read="{escape(read)}">'
                f"<title>{escape(target)} {escape(what)}: {n} ({round(100 * share)}%)</title>"
                f'<rect x="{x + 1}" y="{y + 1}" width="{cell - 2}" height="{cell - 2}" '
                f'rx="3" fill="{fill}"/>'
                f'<text x="{x + cell / 2}" y="{y + cell / 2 + 4}" text-anchor="middle" '
                f'font-size="{11 if n < 100 else 9}" fill="{TEXT}">{n}</text></a>'
            )
    return _svg(
        width,
        height,
        "What the recogniser read for each character",
        "Rows are the characters asked for, columns what the recogniser read (? means not "
        "recognised). Green cells on the diagonal are right; red cells elsewhere are "
        "confusions, darker when more of that row's attempts fall there.",
        body,
        "confusion-map",
        # Cells stay big enough to read and tap (about 20 px): a big map scrolls sideways.
        min_width=round(width * 0.66),
    )


def progress_chart(points: list[TimelinePoint], *, granularity: str) -> SafeString:
    """Attempts per period as bars (left scale) and accuracy as a line (right scale, 0-100%)."""
    width, height = 720, 260
    left, right, top, bottom = 44, 48, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    most = max((p.attempts for p in points), default=0) or 1
    step = plot_w / max(1, len(points))
    bar = max(2.0, step * 0.7)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="{MUTED}"/>'
    ]
    for k in range(5):  # grid lines at 0, 25, 50, 75, 100 %
        y = top + plot_h - plot_h * k / 4
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e3e6ee"/>'
            f'<text x="{left + plot_w + 6}" y="{y + 4:.1f}" font-size="11" fill="{MUTED}">'
            f"{25 * k}%</text>"
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="{MUTED}">{round(most * k / 4)}</text>'
        )
    line = []
    label_every = max(1, len(points) // 8)
    for i, p in enumerate(points):
        cx = left + step * i + step / 2
        h = plot_h * p.attempts / most
        when = p.period.strftime("%d %b")
        body.append(
            f'<rect class="bar" x="{cx - bar / 2:.1f}" y="{top + plot_h - h:.1f}" '
            f'width="{bar:.1f}" height="{h:.1f}" fill="#b9c2e6">'
            f"<title>{when}: {p.attempts} attempts, {_percent(p.accuracy)} correct</title></rect>"
        )
        if i % label_every == 0:
            body.append(
                f'<text x="{cx:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                f'font-size="11" fill="{MUTED}">{when}</text>'
            )
        if p.accuracy is not None:
            line.append((cx, top + plot_h - plot_h * p.accuracy))
    if line:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in line)
        body.append(f'<polyline points="{path}" fill="none" stroke="#1d6b3a" stroke-width="3"/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#1d6b3a"/>' for x, y in line]
    body.append(
        f'<text x="{left}" y="{height - 6}" font-size="12" fill="{MUTED}">'
        f"Bars: attempts per {granularity} (left) · line: % correct (right)</text>"
    )
    return _svg(
        width,
        height,
        f"Attempts and accuracy per {granularity}",
        f"Bars show how many attempts the class made each {granularity}; the green line the "
        "share of them the recogniser (or the teacher) marked correct.",
        body,
        "progress-chart",
    )


INK = "#1c2233"
STROKE_START = "#2f4bb3"
INK_BOX = 100  # the picture's own units; the page sizes it
INK_MARGIN = 10


def _ink_strokes(ink: object) -> list[list[tuple[float, float]]]:
    """The strokes of stored ink (CONTRACTS section 1) as (x, y) pairs; anything that is
    not a finite number pair is left out, so an odd old row still draws."""
    raw = ink.get("strokes", []) if isinstance(ink, dict) else ink
    strokes = []
    for stroke in raw if isinstance(raw, list) else []:
        points = []
        for point in stroke if isinstance(stroke, list) else []:
            if not isinstance(point, list | tuple) or len(point) < 2:
                continue
            x, y = point[0], point[1]
            if isinstance(x, bool) or isinstance(y, bool):
                continue
            if not isinstance(x, int | float) or not isinstance(y, int | float):
                continue
            if math.isfinite(x) and math.isfinite(y):
                points.append((float(x), float(y)))
        if points:
            strokes.append(points)
    return strokes


def ink_picture(ink: object, *, label: str) -> SafeString:
    """A drawing as the child drew it (y down), fitted into a square: one path per stroke,
    a dot where each stroke starts and its number, so stroke order reads on paper too."""
    strokes = _ink_strokes(ink)
    body = [
        f'<rect x="0" y="0" width="{INK_BOX}" height="{INK_BOX}" rx="4" fill="#fff" '
        f'stroke="#d9dce6" stroke-width="0.6"/>'
    ]
    if strokes:
        xs = [x for stroke in strokes for x, _ in stroke]
        ys = [y for stroke in strokes for _, y in stroke]
        span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
        scale = (INK_BOX - 2 * INK_MARGIN) / span
        # Centre the drawing's box in the square.
        dx = (
            INK_MARGIN
            - min(xs) * scale
            + (INK_BOX - 2 * INK_MARGIN - (max(xs) - min(xs)) * scale) / 2
        )
        dy = (
            INK_MARGIN
            - min(ys) * scale
            + (INK_BOX - 2 * INK_MARGIN - (max(ys) - min(ys)) * scale) / 2
        )
        for number, stroke in enumerate(strokes, start=1):
            points = [(x * scale + dx, y * scale + dy) for x, y in stroke]
            if len(points) == 1:
                ((x, y),) = points
                body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.4" fill="{INK}"/>')
            else:
                path = "M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in points)
                body.append(
                    f'<path d="{path}" fill="none" stroke="{INK}" stroke-width="3" '
                    f'stroke-linecap="round" stroke-linejoin="round"/>'
                )
            x, y = points[0]
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{STROKE_START}"/>'
                f'<text x="{x + 3:.1f}" y="{y - 3:.1f}" font-size="7" font-weight="700" '
                f'fill="{STROKE_START}">{number}</text>'
            )
    else:
        body.append(
            f'<text x="50" y="54" text-anchor="middle" font-size="9" fill="{MUTED}">'
            "no ink stored</text>"
        )
    return mark_safe(  # noqa: S308 - numbers are formatted floats, the label is escaped
        f'<svg class="ink-picture" viewBox="0 0 {INK_BOX} {INK_BOX}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif"><title>{escape(label)}</title>'
        + "".join(body)
        + "</svg>"
    )
