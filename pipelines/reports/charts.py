"""Inline SVG charts for the briefing: hand-rolled, no JavaScript, no fonts or files to fetch,
so the page stays one self-contained file that opens offline and prints well.

Each function returns a ``markupsafe.Markup`` string ready for the Jinja template; every label
is escaped. Values are plain numbers; the caller passes a formatter for the labels (Vietnamese
number formatting lives in :mod:`pipelines.reports.fmt`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

PRIMARY = "#1f4e79"
ACCENT = "#c0504d"
MUTED = "#d9e2ec"
MUTED_LINE = "#8aa4bf"
GRID = "#e5e7eb"
TEXT = "#1f2937"
FONT = "font-family='Segoe UI, Roboto, Helvetica, Arial, sans-serif'"

Formatter = Callable[[float], str]


def _svg(width: int, height: int, body: list[str], title: str) -> Markup:
    return Markup(
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
        f"width='100%' role='img' aria-label='{escape(title)}' {FONT}>"
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def hbar_chart(
    items: Sequence[tuple[str, float]],
    fmt: Formatter,
    title: str,
    *,
    width: int = 760,
    bar_height: int = 18,
    label_width: int = 170,
    highlight: Callable[[str], bool] | None = None,
) -> Markup:
    """Horizontal bars, one per (label, value), in the given order."""
    gap = 6
    value_width = 130
    height = len(items) * (bar_height + gap) + gap
    vmax = max((v for _, v in items), default=0) or 1
    span = width - label_width - value_width
    body = []
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar_height + gap)
        w = max(0.0, value) / vmax * span
        color = ACCENT if highlight and highlight(label) else PRIMARY
        body.append(
            f"<text x='{label_width - 8}' y='{y + bar_height * 0.72:.1f}' font-size='12' "
            f"text-anchor='end' fill='{TEXT}'>{escape(label)}</text>"
            f"<rect x='{label_width}' y='{y}' width='{w:.1f}' height='{bar_height}' "
            f"fill='{color}' rx='2'/>"
            f"<text x='{label_width + w + 6:.1f}' y='{y + bar_height * 0.72:.1f}' "
            f"font-size='12' fill='{TEXT}'>{escape(fmt(value))}</text>"
        )
    return _svg(width, height, body, title)


def progress_chart(
    items: Sequence[tuple[str, float]],
    fmt: Formatter,
    title: str,
    *,
    width: int = 760,
    bar_height: int = 14,
    label_width: int = 170,
    target: float | None = None,
) -> Markup:
    """Completion rates (fractions 0..1) as bars on a 100 % track, with an optional target line
    (e.g. the branch-wide rate)."""
    gap = 6
    axis = 18
    span = width - label_width - 70
    height = len(items) * (bar_height + gap) + gap + axis
    body = []
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar_height + gap)
        w = min(max(value, 0.0), 1.0) * span
        color = ACCENT if target is not None and value < target else PRIMARY
        body.append(
            f"<text x='{label_width - 8}' y='{y + bar_height * 0.8:.1f}' font-size='11.5' "
            f"text-anchor='end' fill='{TEXT}'>{escape(label)}</text>"
            f"<rect x='{label_width}' y='{y}' width='{span}' height='{bar_height}' "
            f"fill='{MUTED}' rx='2'/>"
            f"<rect x='{label_width}' y='{y}' width='{w:.1f}' height='{bar_height}' "
            f"fill='{color}' rx='2'/>"
            f"<text x='{label_width + span + 6}' y='{y + bar_height * 0.8:.1f}' "
            f"font-size='11.5' fill='{TEXT}'>{escape(fmt(value))}</text>"
        )
    bottom = height - axis
    for t in (0, 0.25, 0.5, 0.75, 1.0):
        x = label_width + t * span
        body.append(
            f"<line x1='{x:.1f}' y1='{gap}' x2='{x:.1f}' y2='{bottom}' stroke='{GRID}' "
            f"stroke-width='0.8' stroke-dasharray='2,3'/>"
            f"<text x='{x:.1f}' y='{bottom + 13}' font-size='10' text-anchor='middle' "
            f"fill='#6b7280'>{int(t * 100)}%</text>"
        )
    if target is not None:
        x = label_width + min(max(target, 0.0), 1.0) * span
        body.append(
            f"<line x1='{x:.1f}' y1='0' x2='{x:.1f}' y2='{bottom}' stroke='{ACCENT}' "
            f"stroke-width='1.5'/>"
        )
    return _svg(width, height, body, title)


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t <= hi + step * 0.5:
        ticks.append(t)
        t += step
    return ticks


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], str]],
    fmt: Formatter,
    title: str,
    *,
    width: int = 760,
    height: int = 260,
    from_zero: bool = False,
) -> Markup:
    """Month-by-month lines: ``series`` = (name, values, colour). The value axis is fitted to
    the data (not from zero unless ``from_zero``), and says so with its tick labels."""
    left, right, top, bottom = 90, 20, 16, 46
    values = [v for _, vs, _ in series for v in vs if v is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if from_zero:
        lo = min(0.0, lo)
    pad = (hi - lo) * 0.15 or abs(hi) * 0.01 or 1
    ticks = _nice_ticks(lo - (0 if from_zero else pad), hi + pad)
    y0, y1 = ticks[0], ticks[-1]
    pw, ph = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (pw * i / (len(labels) - 1) if len(labels) > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph - (v - y0) / (y1 - y0) * ph

    # Crowded axes: every k-th label at most 8 labels, and point values only at the ends
    every = max(1, -(-len(labels) // 8))
    crowded = len(labels) > 8
    body = []
    for t in ticks:
        body.append(
            f"<line x1='{left}' y1='{y(t):.1f}' x2='{width - right}' y2='{y(t):.1f}' "
            f"stroke='{GRID}'/>"
            f"<text x='{left - 8}' y='{y(t) + 4:.1f}' font-size='11' text-anchor='end' "
            f"fill='#6b7280'>{escape(fmt(t))}</text>"
        )
    for i, lab in enumerate(labels):
        if i % every and i != len(labels) - 1:
            continue
        body.append(
            f"<text x='{x(i):.1f}' y='{height - bottom + 18}' font-size='11.5' "
            f"text-anchor='middle' fill='{TEXT}'>{escape(lab)}</text>"
        )
    legend_x = left
    for name, vals, color in series:
        pts = [(x(i), y(v)) for i, v in enumerate(vals) if v is not None]
        if len(pts) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
            body.append(
                f"<polyline points='{path}' fill='none' stroke='{color}' stroke-width='2.5'/>"
            )
        shown = [v for v in vals if v is not None]
        for j, ((px, py), v) in enumerate(zip(pts, shown, strict=True)):
            body.append(f"<circle cx='{px:.1f}' cy='{py:.1f}' r='4' fill='{color}'/>")
            if not crowded or j in (0, len(shown) - 1):
                body.append(
                    f"<text x='{px:.1f}' y='{py - 9:.1f}' font-size='11' text-anchor='middle' "
                    f"fill='{TEXT}'>{escape(fmt(v))}</text>"
                )
        body.append(
            f"<rect x='{legend_x}' y='{height - 16}' width='12' height='4' fill='{color}'/>"
            f"<text x='{legend_x + 18}' y='{height - 11}' font-size='11.5' "
            f"fill='{TEXT}'>{escape(name)}</text>"
        )
        legend_x += 30 + 7 * len(name)
    return _svg(width, height, body, title)
