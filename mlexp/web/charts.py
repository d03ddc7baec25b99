"""Server-side SVG charts: axes, ticks, legend and hover titles, nothing fetched from outside.

Every string that reaches the SVG is escaped; numbers are formatted here.
"""
import math
import sys
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

PALETTE = ("#0969da", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#0a7d91", "#bf3989", "#57606a")


@dataclass(frozen=True)
class Series:
    label: str
    points: list[tuple[float, float]]


def downsample(points: list[tuple[float, float]], max_points: int = 400) -> list[tuple[float, float]]:
    """Keep the shape of a long history: per bucket, its first, lowest and highest points.

    Points must be sorted by x; short histories come back unchanged.
    """
    if len(points) <= max_points:
        return list(points)
    buckets = max(1, max_points // 3)
    size = len(points) / buckets
    kept = []
    for b in range(buckets):
        chunk = points[int(b * size):int((b + 1) * size)]
        if not chunk:
            continue
        picks = {0, min(range(len(chunk)), key=lambda i: chunk[i][1]),
                 max(range(len(chunk)), key=lambda i: chunk[i][1])}
        kept.extend(chunk[i] for i in sorted(picks))
    if kept[-1] != points[-1]:
        kept.append(points[-1])
    return kept


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round ticks within [low, high], at most count + 1, for any finite pair: Decimal neither
    overflows at float's ends nor underflows among subnormals, and ticks are first + i * step
    for a bounded i, so a step below a float's resolution (1e16, 1e16 + 2) cannot stall."""
    if not math.isfinite(low) or not math.isfinite(high) or low > high:
        return []
    if high == low:
        return [low]
    start, end = Decimal(low), Decimal(high)
    raw = (end - start) / max(1, count - 1)
    magnitude = Decimal(1).scaleb(raw.adjusted())
    step = next(m * magnitude for m in (1, 2, Decimal("2.5"), 5, 10) if m * magnitude >= raw)
    first = math.ceil(start / step)
    ticks: list[float] = []
    for i in range(first, first + count + 1):
        value = i * step
        if value > end:
            break
        if value >= start and (not ticks or float(value) != ticks[-1]):
            ticks.append(float(value))
    return ticks


def fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.3g}"
    return f"{value:.4g}"


def _fraction(value: float, low: float, high: float) -> float:
    """Where value sits from low (0) to high (1); halves first where high - low would overflow."""
    if math.isfinite(high - low):
        return (value - low) / (high - low)
    return (value / 2 - low / 2) / (high / 2 - low / 2)


def _around(value: float, pad: float) -> tuple[float, float]:
    """An axis range for a single value: ±pad, or ±10% where pad is lost at value's magnitude
    (1e16 ± 1), clamped to float's range."""
    value = float(value)
    if value - pad == value:
        pad = abs(value) * 0.1
    return max(value - pad, -sys.float_info.max), min(value + pad, sys.float_info.max)


def _labelled(ticks: list[float]) -> list[tuple[float, str]]:
    """Ticks with their labels; a tick whose label repeats the previous one is left out."""
    labelled: list[tuple[float, str]] = []
    for tick in ticks:
        if not labelled or fmt(tick) != labelled[-1][1]:
            labelled.append((tick, fmt(tick)))
    return labelled


def line_chart(series: list[Series], *, title: str, x_label: str = "step", width: int = 520,
               height: int = 260, lines: bool = True) -> Markup:
    """A line chart of one or more series (a scatter when lines=False); non-finite values are
    left out of the drawing."""
    left, right, top, bottom = 56, 12, 28, 40
    finite = [(x, y) for s in series for x, y in s.points if math.isfinite(x) and math.isfinite(y)]
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
             f'<title>{escape(title)}</title>',
             f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>']
    if not finite:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
                     'class="chart-empty">no finite values</text></svg>')
        return Markup("".join(parts))
    xs, ys = [p[0] for p in finite], [p[1] for p in finite]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    if x0 == x1:
        x0, x1 = _around(x0, 1.0)
    if y0 == y1:
        y0, y1 = _around(y0, abs(y0) * 0.1 or 1.0)
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(x):
        return left + _fraction(x, x0, x1) * plot_w

    def sy(y):
        return top + plot_h - _fraction(y, y0, y1) * plot_h

    parts.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" class="chart-frame"/>')
    for tick, label in _labelled(nice_ticks(y0, y1)):
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{sy(tick):.1f}" y2="{sy(tick):.1f}" '
                     f'class="chart-grid"/><text x="{left - 6}" y="{sy(tick) + 4:.1f}" '
                     f'text-anchor="end" class="chart-tick">{label}</text>')
    for tick, label in _labelled(nice_ticks(x0, x1)):
        parts.append(f'<text x="{sx(tick):.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                     f'class="chart-tick">{label}</text>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 6}" text-anchor="middle" '
                 f'class="chart-axis">{escape(x_label)}</text>')
    for index, s in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        pts = [(x, y) for x, y in s.points if math.isfinite(x) and math.isfinite(y)]
        if lines and len(pts) > 1:
            path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.5">'
                         f'<title>{escape(s.label)}</title></polyline>')
        for x, y in pts if len(pts) <= 60 or not lines else [pts[-1]]:
            parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="{color}">'
                         f'<title>{escape(s.label)}: {escape(x_label)} {fmt(x)} → {fmt(y)}</title></circle>')
    if len(series) > 1:
        for index, s in enumerate(series):
            y = top + 6 + index * 14
            parts.append(f'<rect x="{width - right - 130}" y="{y - 8}" width="10" height="10" '
                         f'fill="{PALETTE[index % len(PALETTE)]}"/><text x="{width - right - 116}" '
                         f'y="{y + 1}" class="chart-legend">{escape(s.label[:22])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
