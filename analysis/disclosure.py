"""Disclosure control for what is published of submitted data, below national level.

NHS Digital's rule for HES and ECDS (2018): counts of 1 to 7 are shown as `*`, every other count
is rounded to the nearest 5, and a rate is shown as `*` when a count it is made of is. It is
applied after every statistic (statistics use the unrounded counts) and to every output cell that
holds a count or a figure derived from one. Data NHS England publishes openly is not submitted data
and stays as released.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

MASK = "*"
SMALL_MAX = 7  # counts above zero and up to this are masked
ROUND_TO = 5


def is_small(counts: pd.Series) -> pd.Series:
    """Counts that would disclose: above zero and no more than 7 (a part-count such as 7.4 bed
    days rounds to 7, so it is small too)."""
    values = pd.to_numeric(counts, errors="coerce")
    return (values > 0) & (values < SMALL_MAX + 0.5)


def rounded_counts(counts: pd.Series) -> pd.Series:
    """Counts as published: `*` for 1 to 7, otherwise the nearest multiple of 5 (halves up)."""
    values = pd.to_numeric(counts, errors="coerce")
    rounded = np.floor(values / ROUND_TO + 0.5) * ROUND_TO
    shown = rounded.astype("Int64").astype(object)
    shown[values.isna()] = None
    shown[is_small(values)] = MASK
    return shown


def disclose(
    frame: pd.DataFrame,
    counts: Sequence[str],
    derived: Mapping[str, Sequence[str]],
) -> pd.DataFrame:
    """A copy of `frame` fit to publish: each of `counts` rounded or masked, and each column of
    `derived` masked on the rows where any count it is made of is small. `derived` maps a column
    (a rate, a difference) to the count columns behind it."""
    shown = frame.copy()
    for column, parts in derived.items():
        small = np.logical_or.reduce([is_small(frame[part]) for part in parts])
        shown[column] = shown[column].astype(object).where(~small, MASK)
    for column in counts:
        shown[column] = rounded_counts(frame[column])
    return shown


def disclose_counts_of_people(
    frame: pd.DataFrame,
    counts: Sequence[str],
    derived: Mapping[str, Sequence[str]],
    of_people: Mapping[str, pd.Series],
) -> pd.DataFrame:
    """`disclose`, where a count column is controlled only on the rows whose count is of people
    or their events (`of_people[column]`, True per row: contacts, referrals, staff in post); a
    count of teams, hours or whole-time equivalents is shown as it is and masks nothing."""
    shadow = frame.copy()
    for column in counts:
        shadow[column] = frame[column].where(of_people[column])
    shown = disclose(shadow, counts, derived)
    for column in counts:
        shown[column] = shown[column].where(of_people[column], frame[column])
    return shown
