"""How a report reads its figures: quartiles in words by polarity, numbers and suppressed cells."""

import math

import pytest

from analysis.disclosure import MASK
from assets.reports import figure, quartile_in_words


@pytest.mark.parametrize(
    ("band", "polarity", "words"),
    [
        (4, "higher_is_better", "highest quarter: among the best"),
        (1, "higher_is_better", "lowest quarter: among the worst"),
        (1, "lower_is_better", "lowest quarter: among the best"),
        (4, "lower_is_better", "highest quarter: among the worst"),
        (2, "lower_is_better", "middle half"),
        (4, "neutral", "highest quarter"),
        (1, "neutral", "lowest quarter"),
    ],
)
def test_quartiles_are_read_by_polarity(band, polarity, words):
    assert quartile_in_words(band, polarity) == words


def test_figures_show_two_decimals_a_mask_or_a_dash():
    assert figure(3.14159) == "3.14"
    assert figure(MASK) == MASK
    assert figure(None) == figure(math.nan) == "&ndash;"
