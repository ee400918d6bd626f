"""The statistics peerbench publishes beside each value, one declaration each.

- Wilson score interval for a proportion (Newcombe 1998, method 3).
- Byar's approximation to the exact Poisson interval for a count of events, for rates
  (Breslow and Day 1987; the method OHID's Fingertips uses).
- Funnel-plot control limits around a target by denominator, at 95% and 99.8% (Spiegelhalter
  2005): the normal approximation to the binomial for a proportion, to the Poisson for a rate;
  and where a unit lies against them.
- Significance against the national value: an interval that excludes it.
- SPC on a monthly series: an XmR chart and the Making Data Count rules (NHS England 2019).

Every function takes numbers or numpy arrays and returns floats or arrays; a zero or missing
denominator gives NaN, never an error, so a whole column is computed in one call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Z_95 = 1.959963984540054  # two-sided 95%: the standard normal's 97.5th percentile
Z_998 = 3.090232306167813  # two-sided 99.8%: its 99.9th percentile
XMR_LIMIT = 2.66  # natural process limits: 3 sigma, sigma estimated as mean moving range / 1.128
XMR_SIGMA = 1.128  # d2 for moving ranges of two points
SHIFT_RUN = 7  # points in a row on one side of the mean
TREND_RUN = 6  # points in a row each higher (or lower) than the one before
SPC_MIN_POINTS = 15  # Making Data Count: limits from fewer points mislead

Numbers = float | npt.ArrayLike


@dataclass(frozen=True)
class Interval:
    lower: npt.NDArray[np.float64]
    upper: npt.NDArray[np.float64]


def _arrays(*values: Numbers) -> list[npt.NDArray[np.float64]]:
    return [np.asarray(v, dtype=np.float64) for v in values]


def wilson_interval(numerator: Numbers, denominator: Numbers, z: float = Z_95) -> Interval:
    """The Wilson score interval of the proportion numerator / denominator."""
    x, n = _arrays(numerator, denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(n > 0, n, np.nan)
        p = x / n
        centre = p + z * z / (2 * n)
        spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        scale = 1 + z * z / n
        return Interval(
            np.clip((centre - spread) / scale, 0, 1), np.clip((centre + spread) / scale, 0, 1)
        )


def byar_interval(count: Numbers, z: float = Z_95) -> Interval:
    """Byar's interval for an observed count of events; divide by the denominator (and multiply
    by the rate's multiplier) for the interval of a rate."""
    (o,) = _arrays(count)
    with np.errstate(invalid="ignore", divide="ignore"):
        safe = np.where(o > 0, o, np.nan)
        lower = safe * (1 - 1 / (9 * safe) - z / (3 * np.sqrt(safe))) ** 3
        upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    lower = np.where(o == 0, 0.0, lower)
    return Interval(np.where(o < 0, np.nan, lower), np.where(o < 0, np.nan, upper))


def funnel_limits(target: Numbers, denominator: Numbers, z: float = Z_95) -> Interval:
    """Control limits for a proportion around `target` for a unit of this denominator."""
    p, n = _arrays(target, denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = z * np.sqrt(p * (1 - p) / np.where(n > 0, n, np.nan))
    return Interval(np.clip(p - spread, 0, 1), np.clip(p + spread, 0, 1))


def poisson_funnel_limits(target: Numbers, denominator: Numbers, z: float = Z_95) -> Interval:
    """Control limits for a rate of events per unit of denominator (events / denominator, before
    any multiplier) around `target`: the expected count target x denominator, plus or minus z
    times its square root, over the denominator."""
    r, n = _arrays(target, denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(n > 0, n, np.nan)
        spread = z * np.sqrt(r / n)
    return Interval(np.clip(r - spread, 0, None), r + spread)


def funnel_position(
    value: Numbers, target: Numbers, denominator: Numbers, kind: str
) -> npt.NDArray[np.str_]:
    """Where each unit lies in the funnel around `target` (value and target as proportions, or
    rates before any multiplier; `kind` is `wilson` for a proportion, `byar` for a rate):
    `within`, `above 95%` or `below 95%` (outside the 95% limits only), `above 99.8%` or
    `below 99.8%`; `` when anything is missing."""
    limits = funnel_limits if kind == "wilson" else poisson_funnel_limits
    x, p, n = _arrays(value, target, denominator)
    inner, outer = limits(p, n, Z_95), limits(p, n, Z_998)
    known = ~(np.isnan(x) | np.isnan(inner.lower) | np.isnan(inner.upper))
    position = np.select(
        [x > outer.upper, x > inner.upper, x < outer.lower, x < inner.lower],
        ["above 99.8%", "above 95%", "below 99.8%", "below 95%"],
        "within",
    )
    return np.where(known, position, "")


def against_national(interval: Interval, national: Numbers) -> npt.NDArray[np.str_]:
    """`higher` or `lower` when the interval excludes the national value, `similar` when it
    holds it, `` when either is missing."""
    (value,) = _arrays(national)
    known = ~(np.isnan(interval.lower) | np.isnan(interval.upper) | np.isnan(value))
    return np.where(
        ~known,
        "",
        np.where(
            interval.lower > value, "higher", np.where(interval.upper < value, "lower", "similar")
        ),
    )


def read_by_polarity(direction: npt.ArrayLike, polarity: str) -> npt.NDArray[np.str_]:
    """Higher or lower in the words of the metric: better or worse where it has a polarity."""
    words = np.asarray(direction, dtype=object)
    if polarity == "higher_is_better":
        mapping = {"higher": "better", "lower": "worse"}
    elif polarity == "lower_is_better":
        mapping = {"higher": "worse", "lower": "better"}
    else:
        mapping = {}
    return np.asarray([mapping.get(w, w) for w in words], dtype=str)


@dataclass(frozen=True)
class XmR:
    """An individuals chart: the mean, the mean moving range and the natural process limits,
    and per point the Making Data Count signals it is part of."""

    mean: float
    moving_range: float
    lower_limit: float
    upper_limit: float
    beyond_limits: npt.NDArray[np.bool_]
    shift: npt.NDArray[np.bool_]  # in a run of 7+ on one side of the mean
    trend: npt.NDArray[np.bool_]  # in a run of 6+ each rising, or each falling
    trend_direction: npt.NDArray[np.int8]  # +1 in a rising trend, -1 in a falling one, else 0
    near_limit: npt.NDArray[np.bool_]  # 2 of 3 in a row beyond 2 sigma on the same side

    @property
    def special_cause(self) -> npt.NDArray[np.bool_]:
        return self.beyond_limits | self.shift | self.trend | self.near_limit


def xmr(values: npt.ArrayLike) -> XmR:
    """The XmR chart of a series in time order, with the limits from the whole series. A point
    on the mean, or equal to the one before, breaks a run."""
    (x,) = _arrays(values)
    if x.size < 2 or np.isnan(x).any():
        raise ValueError("an XmR chart needs two or more values and none missing")
    mean = float(x.mean())
    moving_range = float(np.abs(np.diff(x)).mean())
    upper, lower = mean + XMR_LIMIT * moving_range, mean - XMR_LIMIT * moving_range
    sigma = moving_range / XMR_SIGMA
    side = np.sign(x - mean)
    steps = np.sign(np.diff(x))
    # a trend of 6 points is 5 steps the same way: mark the points at both ends of each step
    trend_steps = _in_runs(steps, TREND_RUN - 1)
    trend_direction = np.zeros(x.size, dtype=np.int8)
    trend_direction[1:] = np.where(trend_steps, steps, 0)
    trend_direction[:-1] = np.where(trend_steps, steps, trend_direction[:-1])
    return XmR(
        mean=mean,
        moving_range=moving_range,
        lower_limit=lower,
        upper_limit=upper,
        beyond_limits=(x > upper) | (x < lower),
        shift=_in_runs(side, SHIFT_RUN),
        trend=trend_direction != 0,
        trend_direction=trend_direction,
        near_limit=_two_of_three(x, mean, 2 * sigma),
    )


def spc_signals(values: npt.ArrayLike, minimum: int = SPC_MIN_POINTS) -> npt.NDArray[np.str_]:
    """Per point of a monthly series, its Making Data Count reading: `higher` or `lower` where
    a rule marks it as special cause (the side of the mean it lies on; for a point only in a
    trend, the trend's direction), `common` where none does, and `` for every point of a series
    shorter than `minimum` (too few points for limits to mean anything) or with a gap."""
    x = np.asarray(values, dtype=np.float64)
    if x.size < minimum or np.isnan(x).any():
        return np.full(x.size, "", dtype="<U6")
    chart = xmr(x)
    by_side = chart.beyond_limits | chart.shift | chart.near_limit
    direction = np.where(by_side, np.sign(x - chart.mean), chart.trend_direction)
    return np.where(
        chart.special_cause & (direction != 0),
        np.where(direction > 0, "higher", "lower"),
        "common",
    )


def _in_runs(signs: npt.NDArray[np.float64], length: int) -> npt.NDArray[np.bool_]:
    """Which positions belong to a run of at least `length` equal non-zero signs."""
    marked = np.zeros(signs.size, dtype=bool)
    start = 0
    for end in range(1, signs.size + 1):
        if end == signs.size or signs[end] != signs[start]:
            if signs[start] != 0 and end - start >= length:
                marked[start:end] = True
            start = end
    return marked


def _two_of_three(
    x: npt.NDArray[np.float64], mean: float, distance: float
) -> npt.NDArray[np.bool_]:
    """Points in a window of three in a row where two or more lie beyond `distance` from the
    mean on the same side; the points marked are those beyond."""
    marked = np.zeros(x.size, dtype=bool)
    for side in (1, -1):
        beyond = side * (x - mean) > distance
        for start in range(x.size - 2):
            window = beyond[start : start + 3]
            if window.sum() >= 2:
                marked[start : start + 3] |= window
    return marked
