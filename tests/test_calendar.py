"""Window deadlines, checked against dates worked out by hand on a calendar."""

from datetime import date

import pytest

from orchestration.calendar import add_working_days, window
from orchestration.partitions import financial_quarter, financial_year, quarter_label


@pytest.mark.parametrize(
    ("collection", "partition_key", "closes_on", "why"),
    [
        # June 2024 ends Sun 30 Jun; 15 working days: 1-5, 8-12, 15-19 July -> Fri 19 July
        ("community_indicators", "2024-06-01", date(2024, 7, 19), "no bank holiday"),
        # March 2024 ends Sun 31 Mar; Mon 1 Apr is Easter Monday: 2-5, 8-12, 15-19, 22 -> 22 Apr
        ("community_indicators", "2024-03-01", date(2024, 4, 22), "Easter Monday skipped"),
        # April 2024 ends Tue 30 Apr; Mon 6 May bank holiday: 1-3, 7-10, 13-17, 20-22 -> 22 May
        ("community_indicators", "2024-04-01", date(2024, 5, 22), "early May bank holiday"),
        # Q1 2024-25 ends Sun 30 Jun; 20 working days: 1-5, 8-12, 15-19, 22-26 July -> 26 July
        ("mhlda", "2024-04-01", date(2024, 7, 26), "quarter, no bank holiday"),
        # Q3 2024-25 ends Tue 31 Dec; 25 and 26 Dec passed, 1 Jan bank holiday:
        # 2-3, 6-10, 13-17, 20-24, 27-29 Jan -> Wed 29 Jan 2025
        ("mhlda", "2024-10-01", date(2025, 1, 29), "New Year's Day skipped"),
        # A&E June 2024 published Thursday 11 July 2024 (second Thursday of July)
        ("nhse_ae", "2024-06-01", date(2024, 7, 11), "second Thursday"),
        # A&E August 2024: Sept 2024 starts on a Sunday; Thursdays 5 and 12 -> 12 Sept
        ("nhse_ae", "2024-08-01", date(2024, 9, 12), "month starting on a Sunday"),
    ],
)
def test_window_closes_on_the_deadline_worked_out_by_hand(
    collection, partition_key, closes_on, why
):
    assert window(collection, partition_key).closes_on == closes_on, why


def test_a_window_is_closed_only_after_its_deadline_day():
    june = window("community_indicators", "2024-06-01")
    assert not june.is_closed(date(2024, 7, 19))
    assert june.is_closed(date(2024, 7, 20))


def test_working_days_skip_weekends_and_christmas():
    # Fri 20 Dec 2024 + 3 working days: Mon 23, Tue 24, (25, 26 bank holidays), Fri 27
    assert add_working_days(date(2024, 12, 20), 3) == date(2024, 12, 27)


@pytest.mark.parametrize(
    ("day", "year", "quarter", "label"),
    [
        (date(2024, 4, 1), "2024-25", 1, "2024-25-Q1"),
        (date(2024, 12, 1), "2024-25", 3, "2024-25-Q3"),
        (date(2025, 3, 1), "2024-25", 4, "2024-25-Q4"),
        (date(2020, 1, 1), "2019-20", 4, "2019-20-Q4"),
    ],
)
def test_nhs_financial_year_and_quarter(day, year, quarter, label):
    assert financial_year(day) == year
    assert financial_quarter(day) == quarter
    assert quarter_label(day.isoformat()) == label
