"""Server-side SVG charts (no JavaScript, no CDN). Pure functions: data in, markup out.

Every chart is `role="img"` with a title; the page puts an accessible table of the same
figures beside it, so the SVG itself is a picture, not the only carrier of the numbers.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 520
ROW = 26
LABEL_WIDTH = 150
VALUE_WIDTH = 60
PALETTE = ["#2f5bea", "#1f9d55", "#d97706", "#c2410c", "#7c3aed"]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str  # the figure as shown (formatted, with its unit)


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def bar_chart(*, title: str, bars: Sequence[Bar], maximum: float | None = None) -> SafeString:
    """Horizontal bars, one per row, scaled to `maximum` (default: the largest value)."""
    top = maximum or max((b.value or 0 for b in bars), default=0) or 1
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = max(len(bars), 1) * ROW + 8
    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" width="100%" role="img" '
            'aria-label="{}" preserveAspectRatio="xMinYMin meet"><title>{}</title>',
            WIDTH,
            height,
            title,
            title,
        )
    ]
    for index, bar in enumerate(bars):
        y = 4 + index * ROW
        length = 0.0 if bar.value is None else plot * min(bar.value / top, 1.0)
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="chart-label" text-anchor="end">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="{}"></rect>'
                '<text x="{}" y="{}" class="chart-value">{}</text>',
                LABEL_WIDTH - 8,
                y + 16,
                bar.label,
                LABEL_WIDTH,
                y + 3,
                _fmt(length),
                ROW - 8,
                PALETTE[0],
                _fmt(LABEL_WIDTH + length + 6),
                y + 16,
                bar.text,
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part was escaped by format_html


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    maximum: float | None = None,
    unit: str = "",
) -> SafeString:
    """Lines over time (gaps where a value is None), with a y axis from 0 to `maximum`."""
    height, left, right, top_pad, bottom = 220, 44, 12, 12, 34
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    values = [v for s in series for v in s.values if v is not None]
    top = maximum or (max(values) if values else 0) or 1
    count = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / count)

    def y(v: float) -> float:
        return top_pad + plot_h * (1 - min(v / top, 1.0))

    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}">'
            "<title>{}</title>",
            WIDTH,
            height,
            title,
            title,
        )
    ]
    for fraction in (0, 0.5, 1):
        level = top * fraction
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" class="chart-grid"></line>'
                '<text x="{}" y="{}" class="chart-label" text-anchor="end">{}{}</text>',
                left,
                WIDTH - right,
                _fmt(y(level)),
                _fmt(y(level)),
                left - 4,
                _fmt(y(level) + 4),
                _fmt(level),
                unit,
            )
        )
    step = max(1, count // 8)
    for i, label in enumerate(labels):
        if i % step == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" class="chart-label" text-anchor="middle">{}</text>',
                    _fmt(x(i)),
                    top_pad + plot_h + 14,
                    label,
                )
            )
    for index, line in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        segments: list[list[str]] = [[]]
        for i, value in enumerate(line.values):
            if value is None:
                segments.append([])
            else:
                segments[-1].append(f"{_fmt(x(i))},{_fmt(y(value))}")
        for points in segments:
            if len(points) > 1:
                parts.append(
                    format_html(
                        '<polyline points="{}" fill="none" stroke="{}" stroke-width="2">'
                        "</polyline>",
                        " ".join(points),
                        colour,
                    )
                )
            for point in points:
                cx, cy = point.split(",")
                parts.append(
                    format_html('<circle cx="{}" cy="{}" r="3" fill="{}"></circle>', cx, cy, colour)
                )
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="10" height="10" fill="{}"></rect>'
                '<text x="{}" y="{}" class="chart-label">{}</text>',
                left + index * 150,
                height - 11,
                colour,
                left + index * 150 + 14,
                height - 2,
                escape(line.name),
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part was escaped by format_html
