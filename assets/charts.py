"""Charts drawn as inline SVG: small, fast, with no browser, script or network to show them.

A report's chart for a metric is a strip: the peers' range as a line, their interquartile range as
a band, the median as a tick, the national figure as a diamond and the organisation's own value as
a dot. Its size does not depend on the number of peers, so a window's reports grow with
organisations times metrics, not with organisations squared.
"""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT, MARGIN = 560, 58, 28
OWN, NATIONAL, BAND, RANGE = "#005eb8", "#212b32", "#d8dde0", "#768692"


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
