"""Charts drawn on the server as accessible SVG: bars (grouped or stacked) and lines.

No JavaScript and no external library: a chart is a string of SVG that the page embeds.
Each chart

- is an image with a name and a description (``role="img"``, ``<title>``, ``<desc>``
  referenced by ``aria-labelledby``); the same figures stand in a table beside it, which
  is what a screen reader reads;
- never relies on colour alone (WCAG 1.4.1): every series has its own fill pattern
  (solid, stripes, dots, crosshatch…) or line dash and marker shape, a legend with the
  same swatch and its name, and bars carry their value where it fits;
- keeps its marks at 3:1 against the white background and its text at 4.5:1 (WCAG
  1.4.11 and 1.4.3): dark fills, and an outline on light patterns;
- uses presentation attributes only (no ``style``), so the strict CSP holds.

Pure functions of their inputs; no Django models.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

# Drawn at about the size it is shown beside its table, so 13 px text stays 13 px.
WIDTH = 560
HEIGHT = 300
FONT = 13
CHAR = 7.5  # the width of an average character at FONT, for fitting labels
TEXT = "#1d1d1b"  # 16:1 on white
GRID = "#767676"  # 4.5:1: the axis and its ticks
FAINT = "#d0d4d9"  # gridlines (decorative)
# Dark colours, each at least 7:1 on white, so a mark and its outline stay visible.
COLOURS = ("#004f7f", "#8a4b00", "#1e6b2a", "#5b2c83", "#a4001d", "#3d3d3d")
DASHES = ("", "8 4", "3 3", "12 4 3 4", "2 6", "6 2")
MARKERS = ("circle", "square", "triangle", "diamond", "cross", "circle")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _fmt(value: float, *, percent: bool = False) -> str:
    text = f"{value:.1f}".replace(".", ",") if value != int(value) else str(int(value))
    return f"{text} %" if percent else text


def _scale(value: float, *, whole: bool) -> float:
    """The top of the axis: four equal steps of 1, 2, 2.5 or 5 times a power of ten that
    reach ``value`` (whole steps for counts, so every tick is a whole number)."""
    if value <= 0:
        return 4.0 if whole else 1.0
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if whole and step != int(step):
            continue
        if step >= raw:
            return float(step * 4)
    return float(10 * power * 4)


def _patterns(chart_id: str, count: int) -> str:
    """One fill pattern per series: solid, diagonal stripes, dots, crosshatch, horizontal
    stripes, vertical stripes - each on its own dark colour."""
    parts = []
    for i in range(count):
        colour = COLOURS[i % len(COLOURS)]
        kind = i % 6
        pid = f"{chart_id}-p{i}"
        if kind == 0:
            body = f'<rect width="8" height="8" fill="{colour}"/>'
        elif kind == 1:
            body = (
                f'<rect width="8" height="8" fill="{colour}"/>'
                '<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="#fff" stroke-width="1.6"/>'
            )
        elif kind == 2:
            body = (
                '<rect width="8" height="8" fill="#fff"/>'
                f'<circle cx="2" cy="2" r="1.7" fill="{colour}"/>'
                f'<circle cx="6" cy="6" r="1.7" fill="{colour}"/>'
            )
        elif kind == 3:
            body = (
                f'<rect width="8" height="8" fill="{colour}"/>'
                '<path d="M0,0 l8,8 M8,0 l-8,8" stroke="#fff" stroke-width="1.2"/>'
            )
        elif kind == 4:
            body = (
                '<rect width="8" height="8" fill="#fff"/>'
                f'<path d="M0,2 h8 M0,6 h8" stroke="{colour}" stroke-width="2"/>'
            )
        else:
            body = (
                f'<rect width="8" height="8" fill="{colour}"/>'
                '<path d="M4,0 v8" stroke="#fff" stroke-width="1.6"/>'
            )
        parts.append(
            f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">{body}'
            "</pattern>"
        )
    return "<defs>" + "".join(parts) + "</defs>"


def _whole(series: Sequence[Series]) -> bool:
    return all(v is None or float(v).is_integer() for s in series for v in s.values)


def _frame(chart_id: str, title: str, description: str, body: str, height: int) -> SafeString:
    return mark_safe(  # noqa: S308 - every text below went through html.escape
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'focusable="false" font-family="system-ui, sans-serif" font-size="{FONT}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>{body}</svg>'
    )


def _legend(chart_id: str, series: Sequence[Series], *, lines: bool = False) -> tuple[str, int]:
    """Swatches with names, left to right, wrapping; returns (svg, height used)."""
    x, y, parts = 0.0, 4.0, []
    for i, s in enumerate(series):
        width = 30 + CHAR * len(s.name)
        if x + width > WIDTH and x > 0:
            x, y = 0.0, y + 20
        if lines:
            colour = COLOURS[i % len(COLOURS)]
            dash = (
                f' stroke-dasharray="{DASHES[i % len(DASHES)]}"' if DASHES[i % len(DASHES)] else ""
            )
            parts.append(
                f'<line x1="{x}" y1="{y + 7}" x2="{x + 18}" y2="{y + 7}" stroke="{colour}" '
                f'stroke-width="2.5"{dash}/>' + _marker(i, x + 9, y + 7)
            )
        else:
            parts.append(
                f'<rect x="{x}" y="{y}" width="14" height="14" fill="url(#{chart_id}-p{i})" '
                f'stroke="{COLOURS[i % len(COLOURS)]}" stroke-width="1.5"/>'
            )
        parts.append(f'<text x="{x + 22}" y="{y + 12}" fill="{TEXT}">{escape(s.name)}</text>')
        x += width
    return "".join(parts), int(y + 24)


def _marker(i: int, cx: float, cy: float) -> str:
    colour = COLOURS[i % len(COLOURS)]
    shape = MARKERS[i % len(MARKERS)]
    if shape == "square":
        return f'<rect x="{cx - 3.5:.1f}" y="{cy - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if shape == "triangle":
        return (
            f'<path d="M{cx:.1f},{cy - 4.5:.1f} L{cx + 4.5:.1f},{cy + 3.5:.1f} '
            f'L{cx - 4.5:.1f},{cy + 3.5:.1f} Z" fill="{colour}"/>'
        )
    if shape == "diamond":
        return (
            f'<path d="M{cx:.1f},{cy - 5:.1f} L{cx + 5:.1f},{cy:.1f} L{cx:.1f},{cy + 5:.1f} '
            f'L{cx - 5:.1f},{cy:.1f} Z" fill="{colour}"/>'
        )
    if shape == "cross":
        return (
            f'<path d="M{cx - 4:.1f},{cy - 4:.1f} L{cx + 4:.1f},{cy + 4:.1f} M{cx + 4:.1f},'
            f'{cy - 4:.1f} L{cx - 4:.1f},{cy + 4:.1f}" stroke="{colour}" stroke-width="2.2"/>'
        )
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{colour}"/>'


@dataclass(frozen=True)
class _Plot:
    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


def _axes(
    plot: _Plot, top_value: float, categories: Sequence[str], *, percent: bool, unit: str
) -> str:
    parts = []
    for k in range(5):
        value = top_value * k / 4
        y = plot.bottom - plot.height * k / 4
        if k:
            parts.append(
                f'<line x1="{plot.left}" y1="{y:.1f}" x2="{plot.right}" y2="{y:.1f}" '
                f'stroke="{FAINT}" stroke-width="1"/>'
            )
        parts.append(
            f'<text x="{plot.left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{escape(_fmt(value, percent=percent))}</text>"
        )
    parts.append(
        f'<line x1="{plot.left}" y1="{plot.bottom}" x2="{plot.right}" y2="{plot.bottom}" '
        f'stroke="{GRID}" stroke-width="1.5"/>'
        f'<line x1="{plot.left}" y1="{plot.top}" x2="{plot.left}" y2="{plot.bottom}" '
        f'stroke="{GRID}" stroke-width="1.5"/>'
    )
    if unit:
        parts.append(
            f'<text x="{plot.left - 6}" y="{plot.top - 8}" text-anchor="end" fill="{TEXT}">'
            f"{escape(unit)}</text>"
        )
    band = plot.width / max(len(categories), 1)
    widest = max((len(c[:14]) for c in categories), default=1) * CHAR + 6
    step = max(1, math.ceil(widest / band))  # leave out labels rather than overlap them
    for i, label in enumerate(categories):
        if i % step:
            continue
        x = plot.left + band * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{plot.bottom + 16}" text-anchor="middle" fill="{TEXT}">'
            f"{escape(label[:14])}</text>"
        )
    return "".join(parts)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    stacked: bool = False,
    percent: bool = False,
    unit: str = "",
) -> SafeString:
    """Vertical bars per category: one bar per series side by side, or stacked."""
    legend, legend_height = _legend(chart_id, series)
    plot = _Plot(left=56, top=legend_height + 18, right=WIDTH - 8, bottom=HEIGHT - 28)
    if stacked:
        totals = [sum(s.values[i] or 0 for s in series) for i in range(len(categories))]
        highest = max(totals, default=0)
    else:
        highest = max((v or 0 for s in series for v in s.values), default=0)
    top_value = 100.0 if percent else _scale(highest, whole=_whole(series))
    band = plot.width / max(len(categories), 1)
    bars = []
    label_room = band / (1 if stacked else max(len(series), 1))
    for i in range(len(categories)):
        x0 = plot.left + band * i + band * 0.12
        inner = band * 0.76
        base = plot.bottom
        for j, s in enumerate(series):
            value = s.values[i] or 0
            h = plot.height * value / top_value if top_value else 0
            if stacked:
                x, w, y = x0, inner, base - h
                base = y
            else:
                w = inner / len(series)
                x, y = x0 + w * j, plot.bottom - h
            if value <= 0:
                continue
            bars.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                f'fill="url(#{chart_id}-p{j})" stroke="{COLOURS[j % len(COLOURS)]}" '
                f'stroke-width="1"/>'
            )
            text = _fmt(value, percent=percent)
            if not stacked and label_room >= CHAR * len(text) + 2:
                bars.append(
                    f'<text x="{x + w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                    f'fill="{TEXT}">{escape(text)}</text>'
                )
        if stacked and band >= 30:
            total = sum(s.values[i] or 0 for s in series)
            if total:
                bars.append(
                    f'<text x="{x0 + inner / 2:.1f}" y="{base - 4:.1f}" text-anchor="middle" '
                    f'fill="{TEXT}">{escape(_fmt(total, percent=percent))}</text>'
                )
    body = (
        _patterns(chart_id, len(series))
        + legend
        + _axes(plot, top_value, categories, percent=percent, unit=unit)
        + "".join(bars)
    )
    return _frame(chart_id, title, description, body, HEIGHT)


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    percent: bool = False,
    unit: str = "",
) -> SafeString:
    """One line per series over the categories; a gap where a value is missing."""
    legend, legend_height = _legend(chart_id, series, lines=True)
    plot = _Plot(left=56, top=legend_height + 18, right=WIDTH - 8, bottom=HEIGHT - 28)
    highest = max((v or 0 for s in series for v in s.values), default=0)
    top_value = 100.0 if percent else _scale(highest, whole=_whole(series))
    band = plot.width / max(len(categories), 1)
    marks = []
    for j, s in enumerate(series):
        colour = COLOURS[j % len(COLOURS)]
        dash = DASHES[j % len(DASHES)]
        runs: list[list[tuple[float, float]]] = [[]]
        points = []
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            x = plot.left + band * (i + 0.5)
            y = plot.bottom - plot.height * value / top_value
            runs[-1].append((x, y))
            points.append((x, y))
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
                marks.append(
                    f'<polyline points="{path}" fill="none" stroke="{colour}" '
                    f'stroke-width="2.5"{dash_attr}/>'
                )
        if len(points) <= 40:
            marks.extend(_marker(j, x, y) for x, y in points)
    body = legend + _axes(plot, top_value, categories, percent=percent, unit=unit) + "".join(marks)
    return _frame(chart_id, title, description, body, HEIGHT)


def hbar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    stacked: bool = False,
    unit: str = "",
) -> SafeString:
    """Horizontal bars, one row per category (long names such as teams fit on the left):
    the series stacked, or one thin bar per series below each other."""
    legend, legend_height = _legend(chart_id, series)
    label_width = min(max((len(c) for c in categories), default=4), 24) * CHAR + 8
    per_row = 24 if stacked else 10 + 14 * max(len(series), 1)
    top = legend_height + 10
    height = int(top + per_row * max(len(categories), 1) + 30)
    right = WIDTH - (len(unit) * CHAR + 16 if unit else 40)
    plot = _Plot(left=label_width, top=top, right=right, bottom=height - 24)
    if stacked:
        highest = max(
            (sum(s.values[i] or 0 for s in series) for i in range(len(categories))), default=0
        )
    else:
        highest = max((v or 0 for s in series for v in s.values), default=0)
    top_value = _scale(highest, whole=_whole(series))
    parts = [_patterns(chart_id, len(series)), legend]
    for k in range(5):
        x = plot.left + plot.width * k / 4
        parts.append(
            f'<line x1="{x:.1f}" y1="{plot.top}" x2="{x:.1f}" y2="{plot.bottom}" '
            f'stroke="{FAINT if k else GRID}" stroke-width="{1 if k else 1.5}"/>'
            f'<text x="{x:.1f}" y="{plot.bottom + 16}" text-anchor="middle" fill="{TEXT}">'
            f"{escape(_fmt(top_value * k / 4))}</text>"
        )
    if unit:
        parts.append(
            f'<text x="{plot.right + 10}" y="{plot.bottom + 16}" text-anchor="start" '
            f'fill="{TEXT}">{escape(unit)}</text>'
        )
    for i, category in enumerate(categories):
        y0 = plot.top + per_row * i + 4
        name = category if len(category) <= 24 else category[:23] + "…"
        parts.append(
            f'<text x="{plot.left - 6}" y="{y0 + (per_row - 8) / 2 + 5:.1f}" text-anchor="end" '
            f'fill="{TEXT}">{escape(name)}</text>'
        )
        x = plot.left
        for j, s in enumerate(series):
            value = s.values[i] or 0
            w = plot.width * value / top_value if top_value else 0
            if stacked:
                bx, by, bh = x, y0, per_row - 8
                x += w
            else:
                bx, by, bh = plot.left, y0 + 14 * j, 12
            if value > 0:
                parts.append(
                    f'<rect x="{bx:.1f}" y="{by:.1f}" width="{w:.1f}" height="{bh}" '
                    f'fill="url(#{chart_id}-p{j})" stroke="{COLOURS[j % len(COLOURS)]}" '
                    f'stroke-width="1"/>'
                )
                if not stacked:
                    parts.append(
                        f'<text x="{bx + w + 4:.1f}" y="{by + 10:.1f}" fill="{TEXT}" '
                        f'font-size="{FONT - 2}">{escape(_fmt(value))}</text>'
                    )
        if stacked:
            total = sum(s.values[i] or 0 for s in series)
            if total:
                parts.append(
                    f'<text x="{x + 4:.1f}" y="{y0 + (per_row - 8) / 2 + 5:.1f}" '
                    f'fill="{TEXT}">{escape(_fmt(total))}</text>'
                )
    return _frame(chart_id, title, description, "".join(parts), height)
