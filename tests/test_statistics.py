"""The published statistics against independent implementations (statsmodels, scipy's exact
distributions), published worked examples and series worked by hand."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from analysis.statistics import (
    Z_95,
    Z_998,
    against_national,
    byar_interval,
    funnel_limits,
    funnel_position,
    poisson_funnel_limits,
    read_by_polarity,
    spc_signals,
    wilson_interval,
    xmr,
)


def test_wilson_gives_newcombes_worked_example():
    """Newcombe (1998), Statistics in Medicine 17:857, table I: 81 of 263, 0.2553 to 0.3662."""
    interval = wilson_interval(81, 263)
    assert float(interval.lower) == pytest.approx(0.2553, abs=5e-5)
    assert float(interval.upper) == pytest.approx(0.3662, abs=5e-5)


@given(
    st.integers(min_value=1, max_value=100_000).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    ),
    st.sampled_from([0.05, 0.002]),
)
def test_wilson_equals_statsmodels(case, alpha):
    numerator, denominator = case
    z = Z_95 if alpha == 0.05 else Z_998
    expected = proportion_confint(numerator, denominator, alpha=alpha, method="wilson")
    interval = wilson_interval(numerator, denominator, z)
    assert float(interval.lower) == pytest.approx(expected[0], abs=1e-12)
    assert float(interval.upper) == pytest.approx(expected[1], abs=1e-12)


def test_wilson_of_a_column_and_of_nothing():
    interval = wilson_interval([0, 5, 3], [10, 10, 0])
    assert interval.lower[0] == 0 and 0 < interval.upper[0] < 0.5
    assert interval.lower[1] < 0.5 < interval.upper[1]
    assert np.isnan(interval.lower[2]) and np.isnan(interval.upper[2])


def test_byar_is_within_half_a_percent_of_the_exact_poisson_interval():
    """Byar's approximation against the exact (Garwood) interval from the chi-squared
    distribution, for counts of ten and more, where OHID's guidance uses it."""
    counts = np.arange(10, 5001)
    exact_lower = stats.chi2.ppf(0.025, 2 * counts) / 2
    exact_upper = stats.chi2.ppf(0.975, 2 * (counts + 1)) / 2
    interval = byar_interval(counts)
    np.testing.assert_allclose(interval.lower, exact_lower, rtol=5e-3)
    np.testing.assert_allclose(interval.upper, exact_upper, rtol=5e-3)


def test_byar_of_no_events_starts_at_zero():
    interval = byar_interval([0])
    assert interval.lower[0] == 0
    assert interval.upper[0] == pytest.approx(stats.chi2.ppf(0.975, 2) / 2, rel=0.01)


@pytest.mark.parametrize(("z", "coverage"), [(Z_95, 0.95), (Z_998, 0.998)])
@pytest.mark.parametrize(("target", "denominator"), [(0.2, 1000), (0.75, 5000), (0.5, 400)])
def test_funnel_limits_hold_the_stated_share_of_units_on_target(z, coverage, target, denominator):
    """A unit performing exactly at target falls inside its limits with the stated probability:
    the exact binomial probability of the counts between the limits."""
    limits = funnel_limits(target, denominator, z)
    inside = stats.binom.cdf(np.floor(limits.upper * denominator), denominator, target)
    inside -= stats.binom.cdf(np.ceil(limits.lower * denominator) - 1, denominator, target)
    assert inside == pytest.approx(coverage, abs=0.01 if coverage == 0.95 else 0.002)


def test_funnel_limits_narrow_as_the_denominator_grows():
    limits = funnel_limits(0.3, [100, 1000, 10000])
    widths = limits.upper - limits.lower
    assert (np.diff(widths) < 0).all()
    assert limits.lower[2] < 0.3 < limits.upper[2]


def test_against_national_reads_the_interval():
    interval = wilson_interval([90, 50, 60, 1], [100, 100, 100, 0])
    result = against_national(interval, [0.75, 0.75, 0.55, 0.5])
    assert result.tolist() == ["higher", "lower", "similar", ""]
    assert read_by_polarity(result, "lower_is_better").tolist() == [
        "worse",
        "better",
        "similar",
        "",
    ]
    assert read_by_polarity(result, "neutral").tolist() == result.tolist()


def test_xmr_limits_worked_by_hand():
    """10, 12, 11, 13, 12: mean 11.6; moving ranges 2, 1, 2, 1, mean 1.5; limits
    11.6 -/+ 2.66 x 1.5 = 7.61 and 15.59."""
    chart = xmr([10, 12, 11, 13, 12])
    assert chart.mean == pytest.approx(11.6)
    assert chart.moving_range == pytest.approx(1.5)
    assert chart.lower_limit == pytest.approx(7.61)
    assert chart.upper_limit == pytest.approx(15.59)
    assert not chart.special_cause.any()


def test_xmr_flags_a_point_beyond_the_limits():
    series = [50, 51, 49, 50, 52, 48, 50, 51, 49, 80, 50, 49]
    chart = xmr(series)
    assert chart.beyond_limits.tolist() == [value == 80 for value in series]


def test_xmr_flags_a_run_of_seven_on_one_side_and_not_of_six():
    below, above = [10, 11, 10, 11, 10, 11], [14, 13, 14, 13, 14, 13, 14]
    assert xmr(below + above).shift.tolist() == [False] * 6 + [True] * 7  # mean 12.0
    six = [14, 10, 11, 10, 11, 10, 11, 14, 13, 14, 13, 14, 13]  # runs of 1, 6, 6; mean 12.15
    assert not xmr(six).shift.any()


def test_a_point_on_the_mean_breaks_a_run():
    series = [9, 9, 9, 9, 9, 9, 10, 11, 11, 11, 11, 11, 11]  # mean 10: two runs of six
    assert not xmr(series).shift.any()


def test_xmr_flags_six_rising_points_and_not_five():
    chart = xmr([20, 18, 21, 17, 20, 21, 22, 23, 24, 19, 20, 21])  # 17 up to 24
    assert chart.trend.tolist() == [False] * 3 + [True] * 6 + [False] * 3
    assert chart.trend_direction.tolist() == [0] * 3 + [1] * 6 + [0] * 3
    five = xmr([20, 18, 21, 19, 21, 22, 23, 24, 20, 21, 19, 20])
    assert not five.trend.any()


def test_xmr_flags_two_of_three_near_a_limit_on_the_same_side():
    """100, 101 six times, then 106, 100, 106, then 101, 100 three times: mean 101.0, mean
    moving range 1.9 (sigma 1.684), so 2 sigma above is 104.37 and the upper limit 106.05. Two of
    the three points 106, 100, 106 lie between them; nothing else signals."""
    series = [100, 101] * 6 + [106, 100, 106] + [101, 100] * 3
    chart = xmr(series)
    assert chart.mean == pytest.approx(101.0)
    assert chart.moving_range == pytest.approx(1.9)
    assert [i for i, flagged in enumerate(chart.near_limit) if flagged] == [12, 14]
    assert not (chart.beyond_limits | chart.shift | chart.trend).any()


def test_poisson_funnel_limits_worked_by_hand():
    """A target of 0.02 falls per bed day over 10,000 bed days: 200 expected, sqrt 14.142, so the
    95% limits are (200 -/+ 1.96 x 14.142) / 10,000 = 0.017228 and 0.022772."""
    limits = poisson_funnel_limits(0.02, 10_000)
    assert float(limits.lower) == pytest.approx(0.017228, abs=1e-6)
    assert float(limits.upper) == pytest.approx(0.022772, abs=1e-6)


@pytest.mark.parametrize("expected", [400.0, 2500.0])
def test_poisson_funnel_limits_hold_about_95_percent_of_units_on_target(expected):
    denominator = 10_000.0
    limits = poisson_funnel_limits(expected / denominator, denominator)
    low, high = float(limits.lower) * denominator, float(limits.upper) * denominator
    inside = stats.poisson.cdf(np.floor(high), expected) - stats.poisson.cdf(
        np.ceil(low) - 1, expected
    )
    assert inside == pytest.approx(0.95, abs=0.01)


def test_funnel_position_against_hand_computed_limits():
    """Target 0.5, 100 units: 95% limits 0.5 -/+ 1.96 x 0.05 (0.402, 0.598), 99.8% limits
    0.5 -/+ 3.09 x 0.05 (0.3455, 0.6545)."""
    values = [0.5, 0.62, 0.7, 0.38, 0.3, np.nan]
    positions = funnel_position(values, 0.5, 100, "wilson")
    assert positions.tolist() == [
        "within",
        "above 95%",
        "above 99.8%",
        "below 95%",
        "below 99.8%",
        "",
    ]


def test_funnel_position_of_a_rate_uses_poisson_limits():
    # 0.0230 is above the 95% limit 0.022772 and below the 99.8% limit 0.02437
    assert funnel_position([0.0230, 0.0250], 0.02, 10_000, "byar").tolist() == [
        "above 95%",
        "above 99.8%",
    ]


def test_spc_signals_read_a_point_beyond_the_limits():
    """10 and 12 alternating around a mean of 11 (and 11 at the end) signal nothing; a 25 in
    their place is beyond the upper limit (mean 11.87, mean moving range 3.79: limit 21.9) and
    the rest stay common cause (they still alternate about the mean)."""
    steady = [10, 12] * 7 + [11]
    assert spc_signals(steady).tolist() == ["common"] * 15
    spike = steady.copy()
    spike[7] = 25
    assert spc_signals(spike).tolist() == ["common"] * 7 + ["higher"] + ["common"] * 7


def test_spc_signals_read_a_falling_trend_as_lower_and_need_fifteen_points():
    """10 and 12 alternating, then seven points falling 14 to 8: a trend of 6 or more down
    (mean 11, mean moving range 22 / 14 = 1.571, limits 6.82 to 15.18 not crossed; no run of 7
    on one side; 2 sigma is 2.79, so no 2 of 3 near a limit). The 14 that starts the fall is
    read as lower too, though it rose from the 12 before it."""
    series = [10, 12] * 4 + [14, 13, 12, 11, 10, 9, 8]
    assert spc_signals(series).tolist() == ["common"] * 8 + ["lower"] * 7
    assert spc_signals(series[1:]).tolist() == [""] * 14
    assert spc_signals([*series[:-1], np.nan]).tolist() == [""] * 15
