"""The 10-business-day deadline of a possible opt-out."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from optin.deadlines import day_of_receipt, is_business_day, next_business_day, review_deadline

ET = ZoneInfo("America/New_York")


def et(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=ET)


class BusinessDayTests:
    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            (datetime.date(2026, 3, 6), True),  # a Friday
            (datetime.date(2026, 3, 7), False),  # Saturday
            (datetime.date(2026, 3, 8), False),  # Sunday
            (datetime.date(2026, 11, 26), False),  # Thanksgiving
            (datetime.date(2026, 11, 27), True),  # the Friday after is not federal
            (datetime.date(2026, 7, 3), False),  # July 4th observed on the Friday
            (datetime.date(2026, 12, 25), False),  # Christmas
            (datetime.date(2027, 1, 1), False),  # New Year's Day
            (datetime.date(2026, 6, 19), False),  # Juneteenth
        ],
    )
    def test_weekdays_except_federal_holidays(self, day, expected):
        assert is_business_day(day) is expected

    def test_next_business_day_skips_weekend_and_holiday(self):
        assert next_business_day(datetime.date(2026, 12, 24)) == datetime.date(2026, 12, 28)


class ReviewDeadlineTests:
    @pytest.mark.parametrize(
        ("received", "due"),
        [
            # A Monday morning: the Monday two weeks later, end of business.
            (et(2026, 3, 2, 9, 0), et(2026, 3, 16, 17, 0)),
            # A Friday morning counts that Friday.
            (et(2026, 3, 6, 10, 0), et(2026, 3, 20, 17, 0)),
            # One minute before the end of business still counts that day.
            (et(2026, 3, 6, 16, 59), et(2026, 3, 20, 17, 0)),
            # A Friday evening counts from Monday.
            (et(2026, 3, 6, 17, 0), et(2026, 3, 23, 17, 0)),
            (et(2026, 3, 6, 18, 30), et(2026, 3, 23, 17, 0)),
            # A Saturday counts from Monday too.
            (et(2026, 3, 7, 11, 0), et(2026, 3, 23, 17, 0)),
            # Thanksgiving week: Thursday the 26th is skipped.
            (et(2026, 11, 23, 9, 0), et(2026, 12, 8, 17, 0)),
            # A reply on Thanksgiving itself counts from the Friday after.
            (et(2026, 11, 26, 10, 0), et(2026, 12, 11, 17, 0)),
            # Christmas Eve evening: Christmas and New Year's Day both skipped.
            (et(2026, 12, 24, 19, 0), et(2027, 1, 12, 17, 0)),
            # Thursday evening before the observed July 4th (Friday the 3rd).
            (et(2026, 7, 2, 18, 0), et(2026, 7, 20, 17, 0)),
        ],
    )
    def test_ten_business_days_from_the_day_of_receipt(self, received, due):
        assert review_deadline(received) == due

    def test_utc_times_are_read_in_eastern_time_across_a_dst_change(self):
        # 22:30 UTC on Friday March 6 2026 is 17:30 EST: after hours.
        received = datetime.datetime(2026, 3, 6, 22, 30, tzinfo=datetime.UTC)

        due = review_deadline(received)

        assert day_of_receipt(received) == datetime.date(2026, 3, 9)
        # Clocks moved to EDT on March 8: 17:00 EDT is 21:00 UTC.
        assert due.astimezone(datetime.UTC) == datetime.datetime(
            2026, 3, 23, 21, 0, tzinfo=datetime.UTC
        )
