"""Disclosure control worked by hand: NHS Digital's rule (1 to 7 masked, the rest to the nearest
5, rates masked where a part is)."""

import pandas as pd

from analysis.disclosure import MASK, disclose, rounded_counts


def test_counts_of_one_to_seven_are_masked_and_the_rest_rounded_to_five():
    counts = pd.Series([0, 1, 7, 7.4, 7.6, 8, 12, 12.5, 13, 1002, None])
    assert rounded_counts(counts).tolist() == [0, MASK, MASK, MASK, 10, 10, 10, 15, 15, 1000, None]


def test_a_rate_is_masked_where_a_count_behind_it_is():
    frame = pd.DataFrame(
        {
            "numerator": [3, 40, 40],
            "denominator": [50, 6, 80],
            "value": [6.0, 666.7, 50.0],
            "previous_numerator": [20, 20, 2],
            "previous_value": [40.0, 40.0, 2.5],
            "change": [-34.0, 626.7, 47.5],
        }
    )
    shown = disclose(
        frame,
        ["numerator", "denominator", "previous_numerator"],
        {
            "value": ["numerator", "denominator"],
            "previous_value": ["previous_numerator"],
            "change": ["numerator", "denominator", "previous_numerator"],
        },
    )
    assert shown["numerator"].tolist() == [MASK, 40, 40]
    assert shown["denominator"].tolist() == [50, MASK, 80]
    assert shown["value"].tolist() == [MASK, MASK, 50.0]
    assert shown["previous_value"].tolist() == [40.0, 40.0, MASK]
    assert shown["change"].tolist() == [MASK, MASK, MASK]
    assert frame["numerator"].tolist() == [3, 40, 40]  # the statistics' own data is untouched
