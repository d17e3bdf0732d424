"""The deadline for honouring a possible opt-out: 10 business days.

FCC rules (47 CFR 64.1200(a)(10), in force since April 2025) require a
revocation of consent to be honoured within a reasonable time "not to exceed
ten business days" of its receipt. The rule pinned here, and tested:

- Business days are Monday to Friday, except US federal holidays, including
  the weekday on which a weekend holiday is observed (the `holidays`
  package).
- Business hours end at `OPTOUT_REVIEW_DAY_ENDS_AT` (17:00) in
  `OPTOUT_REVIEW_TIME_ZONE` (Eastern by default: the earliest end of business
  in the contiguous US, so the deadline comes no later than any brokerage's
  own).
- A reply received on a business day before the end of business is received
  that day; one received later, or on a weekend or a holiday (a Friday
  evening, a Saturday, Thanksgiving), is received on the next business day.
- The deadline is the end of business on the 10th business day after the
  day of receipt: a reply received on a Monday falls due on the Monday two
  weeks later at 17:00.
"""

import datetime
import functools
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings


@functools.lru_cache(maxsize=8)
def _federal_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("US", years=year)


def is_business_day(day: datetime.date) -> bool:
    """Whether `day` is a weekday and not a US federal holiday (or its
    observed day)."""
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


def next_business_day(day: datetime.date) -> datetime.date:
    """The first business day after `day`."""
    day += datetime.timedelta(days=1)
    while not is_business_day(day):
        day += datetime.timedelta(days=1)
    return day


def _end_of_business() -> datetime.time:
    return datetime.time(hour=settings.OPTOUT_REVIEW_DAY_ENDS_AT)


def day_of_receipt(received_at: datetime.datetime) -> datetime.date:
    """The business day a reply counts as received on (see the module rule)."""
    local = received_at.astimezone(ZoneInfo(settings.OPTOUT_REVIEW_TIME_ZONE))
    if is_business_day(local.date()) and local.time() < _end_of_business():
        return local.date()
    return next_business_day(local.date())


def review_deadline(received_at: datetime.datetime) -> datetime.datetime:
    """When a possible opt-out received at `received_at` (aware) must have
    been honoured: end of business on the 10th business day after receipt."""
    day = day_of_receipt(received_at)
    for _ in range(settings.OPTOUT_REVIEW_BUSINESS_DAYS):
        day = next_business_day(day)
    zone = ZoneInfo(settings.OPTOUT_REVIEW_TIME_ZONE)
    return datetime.datetime.combine(day, _end_of_business(), tzinfo=zone)
