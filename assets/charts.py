"""Charts drawn as SVG: small, fast, with no browser, script or network to show them, the same
text inline in a report, in a `.svg` file and (converted) in a `.png` for slides.

- The strip: the peers' range as a line, their interquartile range as a band, the median as a
  tick, the national figure as a diamond and the organisation's own value as a dot. Its size does
  not depend on the number of peers, so a window's reports grow with organisations times metrics.
- The trend: the organisation's monthly values against the peers' (or the whole sample's) median
  and interquartile band and the national figure, the window's months shaded, points coloured by
  their SPC signal (Making Data Count: blue improving, orange concerning, purple a neutral
  metric's special cause). Up to `MONTH_LABELS` months each month is labelled; a longer series
  (the sample trend since April 2021) is labelled by year, between lines at each January.
- The funnel: every organisation's value by its denominator against the national figure's 95%
  and 99.8% limits (no labels: who is who is not shown).

Value axes fit the data, never forced to zero, so 82-96% occupancy is not drawn flat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from html import escape

WIDTH, HEIGHT, MARGIN = 560, 58, 28
OWN, NATIONAL, BAND, RANGE = "#005eb8", "#212b32", "#d8dde0", "#768692"
MEAN = "#007f3b"  # the national mean, where a trend draws it (NHS green)
SIGNAL_COLOURS = {"better": "#41b6e6", "worse": "#ed8b00", "higher": "#7c2855", "lower": "#7c2855"}
TREND_HEIGHT, FUNNEL_HEIGHT, AXIS = 150, 260, 48
MONTH_LABELS = 13  # the most months a trend labels one by one; beyond, it labels years


def _number(value: object) -> float | None:
    if value is None or isinstance(value, str):
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if number != number else number


def strip_chart(
    own: object,
    minimum: float,
    lower_quartile: float,
    median: float,
    upper_quartile: float,
    maximum: float,
    national: object,
    label: str,
) -> str:
    """The strip for one metric; `own` or `national` may be missing or suppressed (`*`)."""
    own_value, national_value = _number(own), _number(national)
    known = [minimum, maximum, *(v for v in (own_value, national_value) if v is not None)]
    low, high = min(known), max(known)
    span = (high - low) or 1.0

    def x(value: float) -> float:
        return MARGIN + (value - low) / span * (WIDTH - 2 * MARGIN)

    middle = 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}">',
        f'<line x1="{x(minimum):.1f}" x2="{x(maximum):.1f}" y1="{middle}" y2="{middle}" '
        f'stroke="{RANGE}" stroke-width="2"/>',
        f'<rect x="{x(lower_quartile):.1f}" y="{middle - 9}" '
        f'width="{max(x(upper_quartile) - x(lower_quartile), 1):.1f}" height="18" fill="{BAND}"/>',
        f'<line x1="{x(median):.1f}" x2="{x(median):.1f}" y1="{middle - 11}" y2="{middle + 11}" '
        f'stroke="{NATIONAL}" stroke-width="2"/>',
        _text(x(minimum), HEIGHT - 4, f"{minimum:.2f}", "start"),
        _text(x(maximum), HEIGHT - 4, f"{maximum:.2f}", "end"),
    ]
    if national_value is not None:
        cx = x(national_value)
        parts.append(
            f'<path d="M{cx:.1f},{middle - 8} l6,8 l-6,8 l-6,-8 z" fill="white" '
            f'stroke="{NATIONAL}" stroke-width="1.5"><title>National {national_value:.2f}'
            "</title></path>"
        )
    if own_value is not None:
        parts.append(
            f'<circle cx="{x(own_value):.1f}" cy="{middle}" r="6" fill="{OWN}">'
            f"<title>You {own_value:.2f}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _text(x: float, y: float, text: str, anchor: str) -> str:
    return (
        f'<text x="{x:.1f}" y="{y}" font-size="10" fill="#4c6272" '
        f'text-anchor="{anchor}" font-family="sans-serif">{escape(text)}</text>'
    )


def _open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
        f'<rect width="{width}" height="{height}" fill="white"/>'
    )


def _scale(values: Sequence[float | None], top: float, bottom: float) -> Callable[[float], float]:
    """A value axis from `bottom` (pixels, low values) to `top`, fitted to the values with a
    tenth of their span to spare: never forced to start at zero."""
    known = [v for v in values if v is not None]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    low, high = low - pad, high + pad
    return lambda v: bottom - (v - low) / (high - low) * (bottom - top)


def _axis(
    y: Callable[[float], float], values: Sequence[float | None], left: int, right: int
) -> str:
    """Three labelled gridlines: the lowest and highest values shown and the middle."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    parts = []
    for tick in sorted({low, (low + high) / 2, high}):
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            'stroke="#eef0f1"/>'
        )
        parts.append(_text(left - 4, y(tick) + 3, _tick(tick), "end"))
    return "".join(parts)


def _tick(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.1f}"


def _path(points: Sequence[tuple[float, float | None]], y: Callable[[float], float]) -> str:
    """An SVG path through the known points, broken where a value is missing."""
    commands, pen_down = [], False
    for x, value in points:
        if value is None:
            pen_down = False
            continue
        commands.append(f"{'L' if pen_down else 'M'}{x:.1f},{y(value):.1f}")
        pen_down = True
    return " ".join(commands)


def month_label(month: str) -> str:
    """A month (YYYY-MM) as an axis shows it: Jan 24."""
    return date.fromisoformat(f"{month}-01").strftime("%b %y")


def _years(months: Sequence[str]) -> list[tuple[str, int, int]]:
    """Each calendar year a series spans: the year, its first and its last month's index."""
    spans: list[tuple[str, int, int]] = []
    for i, month in enumerate(months):
        year = month[:4]
        if spans and spans[-1][0] == year:
            spans[-1] = (year, spans[-1][1], i)
        else:
            spans.append((year, i, i))
    return spans


def _time_axis(months: Sequence[str], left: float, step: float, top: int, bottom: int) -> str:
    """The months' labels under a trend: each month's (Jan 24) for a short series; for a long
    one, a line at each January and the year centred on its months (a year with fewer than
    three months shown is left unlabelled: its label would run into the next)."""
    y = TREND_HEIGHT - 10
    if len(months) <= MONTH_LABELS:
        return "".join(
            _text(left + step * (i + 0.5), y, month_label(month), "middle")
            for i, month in enumerate(months)
        )
    parts = []
    for year, first, last in _years(months):
        if first > 0:
            x = left + step * first
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom + 6}" stroke="#d8dde0"/>'
            )
        if last - first >= 2:
            parts.append(_text(left + step * (first + last + 1) / 2, y, year, "middle"))
    return "".join(parts)


def trend_chart(
    months: Sequence[str],
    own: Sequence[object],
    median: Sequence[object],
    lower_quartile: Sequence[object],
    upper_quartile: Sequence[object],
    national: Sequence[object],
    signals: Sequence[str],
    shaded: Sequence[str],
    label: str,
    mean: Sequence[object] | None = None,
) -> str:
    """The organisation's value month by month (`months` as YYYY-MM; `own` may hold missing or
    suppressed values) against a median and interquartile band (the peers', or the sample's)
    and the national figure, and where given the national `mean` (a dotted green line).
    `signals` are each month's SPC reading by polarity (better, worse, higher, lower, or
    neither); `shaded` the months (YYYY-MM) of the window being published."""
    series = [
        [_number(v) for v in values]
        for values in (own, median, lower_quartile, upper_quartile, national, mean or [])
    ]
    own_v, median_v, lower_v, upper_v, national_v, mean_v = series
    left, right, top, bottom = AXIS, WIDTH - 12, 10, TREND_HEIGHT - 26
    y = _scale([v for values in series for v in values], top, bottom)
    step = (right - left) / max(len(months), 1)
    small = len(months) > MONTH_LABELS  # a long series: smaller points

    def x(i: int) -> float:
        return left + step * (i + 0.5)

    parts = [_open(WIDTH, TREND_HEIGHT, label)]
    for i, month in enumerate(months):
        if month in shaded:
            parts.append(
                f'<rect x="{left + step * i:.1f}" y="{top}" width="{step:.1f}" '
                f'height="{bottom - top}" fill="#f0f4f5"/>'
            )
    parts.append(_axis(y, [v for values in series for v in values], left, right))
    parts.append(_time_axis(months, left, step, top, bottom))
    band = [
        (x(i), lo, hi)
        for i, (lo, hi) in enumerate(zip(lower_v, upper_v, strict=True))
        if lo is not None and hi is not None
    ]
    if band:
        outline = [f"{px:.1f},{y(hi):.1f}" for px, _, hi in band]
        outline += [f"{px:.1f},{y(lo):.1f}" for px, lo, _ in reversed(band)]
        parts.append(f'<polygon points="{" ".join(outline)}" fill="{BAND}" opacity="0.8"/>')
    for values, style in (
        (median_v, f'stroke="{NATIONAL}" stroke-dasharray="5 3" stroke-width="1.5"'),
        (national_v, f'stroke="{RANGE}" stroke-width="1"'),
        (mean_v, f'stroke="{MEAN}" stroke-dasharray="2 2" stroke-width="2"'),
        (own_v, f'stroke="{OWN}" stroke-width="{1.5 if small else 2}"'),
    ):
        path = _path([(x(i), v) for i, v in enumerate(values)], y)
        if path:
            parts.append(f'<path d="{path}" fill="none" {style}/>')
    for i, (value, signal) in enumerate(zip(own_v, signals, strict=True)):
        if value is not None:
            colour = SIGNAL_COLOURS.get(signal, OWN)
            radius = (3.5 if small else 4.5) if signal in SIGNAL_COLOURS else (2 if small else 3)
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="{radius}" fill="{colour}">'
                f"<title>{escape(month_label(months[i]))}: {value:.2f}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)


def funnel_chart(
    denominators: Sequence[float],
    values: Sequence[object],
    limits: Callable[[Sequence[float], float], tuple[list[float], list[float]]],
    national: float,
    label: str,
) -> str:
    """Each organisation's value (a dot, unlabelled) by its denominator, with the national
    figure and the funnel of limits it draws: `limits(denominators, z)` gives the lower and
    upper limit at each denominator (in the values' units) for a z of 1.96 and of 3.09."""
    points = [
        (float(d), v)
        for d, v in zip(denominators, (_number(v) for v in values), strict=True)
        if v is not None and d and d > 0
    ]
    left, right, top, bottom = AXIS + 8, WIDTH - 12, 10, FUNNEL_HEIGHT - 30
    parts = [_open(WIDTH, FUNNEL_HEIGHT, label)]
    if not points:
        return "".join([*parts, "</svg>"])
    largest = max(d for d, _ in points)
    grid = [largest * (i / 60) ** 2 for i in range(1, 61)]  # denser where the funnel is wide
    smallest = min(d for d, _ in points)
    grid = [d for d in grid if d >= smallest * 0.8] or [smallest, largest]
    curves = {z: limits(grid, z) for z in (1.959963984540054, 3.090232306167813)}
    shown = [v for _, v in points] + [national]
    y = _scale(shown, top, bottom)

    def x(denominator: float) -> float:
        return left + denominator / largest * (right - left)

    parts.append(_axis(y, shown, left, right))
    for z, (lower, upper) in curves.items():
        dash = ' stroke-dasharray="4 3"' if z > 3 else ""
        for line in (lower, upper):
            path = _path(
                [
                    (x(d), v)
                    for d, v in zip(grid, line, strict=True)
                    if y(v) >= top - 1 and y(v) <= bottom + 1
                ],
                y,
            )
            if path:
                parts.append(f'<path d="{path}" fill="none" stroke="{RANGE}"{dash}/>')
    parts.append(
        f'<line x1="{left}" x2="{right}" y1="{y(national):.1f}" y2="{y(national):.1f}" '
        f'stroke="{NATIONAL}" stroke-width="1.5"/>'
    )
    for denominator, value in points:
        parts.append(
            f'<circle cx="{x(denominator):.1f}" cy="{y(value):.1f}" r="3" fill="{OWN}" '
            'fill-opacity="0.7"/>'
        )
    parts.append(_text(left, FUNNEL_HEIGHT - 8, "0", "start"))
    parts.append(_text(right, FUNNEL_HEIGHT - 8, f"{largest:,.0f} (denominator)", "end"))
    parts.append("</svg>")
    return "".join(parts)
