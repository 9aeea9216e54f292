"""Report charts drawn on the server as SVG: no chart library and no CDN, so they work on a mall's LAN without
internet, print sharply, and show the same numbers as the report they belong to. Pure functions of the data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from html import escape

FONT = "font-family=\"system-ui, 'Segoe UI', Roboto, 'Noto Sans', sans-serif\""
INK = "#1f2933"
MUTED = "#5f6b7a"
GRID = "#d9dee4"
BAR = "#1565c0"
MARK = "#0b3d75"
TARGET = "#c62828"
TOP = 46  # below the title and the legend line


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    mark: float | None = None  # a second value drawn as a tick on the bar (e.g. the 90th percentile)
    target: float | None = None  # a limit drawn as a red line (e.g. the service's target wait)


@dataclass(frozen=True)
class Style:
    """How numbers are written: Indonesian uses a decimal comma and a point between thousands (1.950; 62,6),
    English the other way round (1,950; 62.6). A month's arrivals per hour run into thousands."""

    decimal: str = ","
    digits: int = 1

    def num(self, value: float, digits: int | None = None) -> str:
        """Rounded half up from the value as written (3.275 -> 3,28; 3.125 -> 3,13), as the report's tables write
        it (the browser's Intl.NumberFormat): Python's own formatting rounds the binary float (3,27) or half to even
        (3,12), and a chart's NRR then disagreed with its table."""
        places = 0 if value == int(value) and digits is None else self.digits if digits is None else digits
        rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        text = f"{rounded:,.{places}f}"
        if self.decimal == ",":
            text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
        return text


def _nice_max(value: float, intervals: int = 4) -> float:
    """An axis top that splits into `intervals` round steps (1, 2, 2.5 or 5 times a power of ten, 2.5 only from
    25 up, so counts get whole-number grid lines): 25 arrivals give 0-40 in steps of 10."""
    if value <= 0:
        return float(intervals)
    need = value / intervals
    power = 1.0
    while power * 10 <= need:
        power *= 10
    while power > need and power > 1:
        power /= 10
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if step >= need and (factor != 2.5 or power >= 10):
            return step * intervals
    return 10 * power * intervals


def _frame(title: str, legend: str, width: int, height: int, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" class="chart" {FONT}>'
        f"<title>{escape(title)}</title>"
        f'<text x="0" y="17" font-size="15" font-weight="600" fill="{INK}">{escape(title)}</text>'
        f'<text x="0" y="34" font-size="11.5" fill="{MUTED}">{escape(legend)}</text>' + "".join(body) + "</svg>"
    )


def empty(title: str, words: str, *, width: int = 600) -> str:
    """A chart with nothing to draw says so in words, rather than an axis with no bar (read as "all zero")."""
    body = [f'<text x="{width / 2:.1f}" y="{TOP + 26}" font-size="14" fill="{MUTED}" text-anchor="middle">'
            f"{escape(words)}</text>"]  # fmt: skip
    return _frame(title, "", width, TOP + 44, body)


def columns(
    title: str, bars: Sequence[Bar], *, legend: str = "", style: Style = Style(), width: int = 600, height: int = 250
) -> str:
    """Vertical bars, one per label (hours of a day, days of a range)."""
    left, right, bottom = 40, 8, 24
    plot_w, plot_h = width - left - right, height - TOP - bottom
    top_value = _nice_max(max((b.value for b in bars), default=0))
    body: list[str] = []
    for i in range(5):
        y = TOP + plot_h - plot_h * i / 4
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" fill="{MUTED}" text-anchor="end">'
                    f"{style.num(top_value * i / 4)}</text>")  # fmt: skip
    step = plot_w / max(1, len(bars))
    every = max(1, round(len(bars) / 16))  # label every bar while they fit, then every other one
    for i, bar in enumerate(bars):
        h = plot_h * bar.value / top_value
        x = left + i * step + step * 0.15
        middle = x + step * 0.35
        body.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                    f'fill="{BAR}"><title>{escape(bar.label)}: {style.num(bar.value)}</title></rect>')  # fmt: skip
        value = style.num(bar.value)
        if bar.value and len(value) * 6.5 + 4 <= step:  # over its bar only where it fits (not on a month's days)
            body.append(f'<text x="{middle:.1f}" y="{TOP + plot_h - h - 3:.1f}" font-size="10.5" fill="{INK}" '
                        f'text-anchor="middle">{value}</text>')  # fmt: skip
        if i % every == 0:
            body.append(f'<text x="{middle:.1f}" y="{height - 6}" font-size="11" fill="{MUTED}" '
                        f'text-anchor="middle">{escape(bar.label)}</text>')  # fmt: skip
    return _frame(title, legend, width, height, body)


def rows(
    title: str,
    bars: Sequence[Bar],
    *,
    legend: str = "",
    style: Style = Style(),
    width: int = 600,
    scale: tuple[float, float] | None = None,
) -> str:
    """Horizontal bars, one per named row (services, elements of the survey), with optional tick and target."""
    label_w, right, row_h, axis_h = width // 3, 48, 24, 18
    height = TOP + row_h * max(1, len(bars)) + axis_h + 4
    plot_w = width - label_w - right
    biggest = max((max(b.value, b.mark or 0, b.target or 0) for b in bars), default=0)
    low, high = scale or (0.0, _nice_max(biggest))
    span = (high - low) or 1.0
    bottom = TOP + row_h * max(1, len(bars))

    def x_of(value: float) -> float:
        return label_w + plot_w * (min(max(value, low), high) - low) / span

    body: list[str] = []
    for i in range(5):
        value = low + span * i / 4
        x = x_of(value)
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP - 2}" y2="{bottom}" stroke="{GRID}"/>')
        body.append(f'<text x="{x:.1f}" y="{bottom + 14}" font-size="10.5" fill="{MUTED}" text-anchor="middle">'
                    f"{style.num(value)}</text>")  # fmt: skip
    fits = int(label_w / 7.5)  # characters of 12 px text that fit beside the bars
    for i, bar in enumerate(bars):
        y = TOP + i * row_h
        label = bar.label if len(bar.label) <= fits else bar.label[: fits - 1] + "…"
        body.append(f'<text x="{label_w - 8}" y="{y + 16}" font-size="12" fill="{INK}" text-anchor="end">'
                    f"<title>{escape(bar.label)}</title>{escape(label)}</text>")  # fmt: skip
        body.append(f'<rect x="{label_w}" y="{y + 5}" width="{x_of(bar.value) - label_w:.1f}" height="{row_h - 10}" '
                    f'fill="{BAR}" rx="2"/>')  # fmt: skip
        if bar.mark is not None:
            body.append(
                f'<rect x="{x_of(bar.mark) - 1.5:.1f}" y="{y + 2}" width="3" height="{row_h - 4}" fill="{MARK}"/>'
            )
        if bar.target is not None:
            xt = x_of(bar.target)
            body.append(f'<line x1="{xt:.1f}" x2="{xt:.1f}" y1="{y + 1}" y2="{y + row_h - 1}" stroke="{TARGET}" '
                        f'stroke-width="2" stroke-dasharray="3 2"/>')  # fmt: skip
        body.append(f'<text x="{width - right + 6}" y="{y + 16}" font-size="12" fill="{INK}">'
                    f"{style.num(bar.value, style.digits)}</text>")  # fmt: skip
    return _frame(title, legend, width, height, body)
