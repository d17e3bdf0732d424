"""Quiet hours: a text reaches a phone only in the daytime where it rings.

The recipient's local time comes from the area code (`data/area_codes.csv`,
built from libphonenumber). An area code that spans time zones counts as
being in all of them, so the window is where they overlap: the strictest.
The federal window is 8 am to 9 pm; the states in `STATE_HOURS` allow less.
Only texts the agent starts are held back: replies to a contact's own text
(the HELP answer, the opt-in and opt-out confirmations) go at once, because
the contact just wrote and carriers expect the answer straight away.
"""

import csv
import dataclasses
import datetime
import functools
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from phonenumbers import timezone as phone_timezones

from contacts.phones import area_code

AREA_CODES_CSV = Path(__file__).resolve().parent / "data" / "area_codes.csv"
UTC = datetime.UTC


@dataclasses.dataclass(frozen=True)
class Hours:
    """A local-time window, start included and end excluded."""

    start: datetime.time
    end: datetime.time

    def __contains__(self, moment: datetime.time) -> bool:
        return self.start <= moment < self.end


def _hours(start: int, end: int) -> Hours:
    return Hours(datetime.time(start), datetime.time(end))


FEDERAL_HOURS = _hours(8, 21)  # 47 CFR 64.1200(c)(1)
# States with narrower windows for solicitations, as (Monday to Friday,
# Saturday, Sunday); None means no texts that day. A product decision to
# keep to the strictest reading; review it with counsel when laws change.
STATE_HOURS: dict[str, tuple[Hours | None, Hours | None, Hours | None]] = {
    "AL": (_hours(8, 20), _hours(8, 20), None),
    "CT": (_hours(9, 20), _hours(9, 20), _hours(9, 20)),
    "FL": (_hours(8, 20), _hours(8, 20), _hours(8, 20)),
    "KY": (_hours(10, 21), _hours(10, 21), _hours(10, 21)),
    "LA": (_hours(8, 20), _hours(8, 20), None),
    "MA": (_hours(8, 20), _hours(8, 20), _hours(8, 20)),
    "MD": (_hours(8, 20), _hours(8, 20), _hours(8, 20)),
    "MI": (_hours(9, 21), _hours(9, 21), _hours(9, 21)),
    "MN": (_hours(9, 21), _hours(9, 21), _hours(9, 21)),
    "MS": (_hours(8, 20), _hours(8, 20), None),
    "NJ": (_hours(8, 20), _hours(8, 20), _hours(8, 20)),
    "NM": (_hours(9, 21), _hours(9, 21), _hours(9, 21)),
    "NV": (_hours(9, 20), _hours(9, 20), _hours(9, 20)),
    "OK": (_hours(8, 20), _hours(8, 20), _hours(8, 20)),
    "RI": (_hours(9, 18), _hours(10, 17), None),
    "TX": (_hours(9, 21), _hours(9, 21), _hours(12, 21)),
    "WA": (_hours(8, 20), _hours(8, 20), _hours(8, 20)),
}
# Where the zone is unknown (a toll-free or new area code), the window that
# is open in every US zone from Hawaii to the East Coast.
FALLBACK_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
)
# Texts that answer the contact's own message go out at any hour.
_REPLY_KINDS = frozenset({"help_reply", "optin_confirmation", "optout_confirmation"})


@dataclasses.dataclass(frozen=True)
class AreaCode:
    code: str
    region: str
    state: str
    zones: tuple[str, ...]


@functools.cache
def area_codes() -> dict[str, AreaCode]:
    """The NANP area-code table, keyed by the 3-digit code."""
    with AREA_CODES_CSV.open(encoding="utf-8", newline="") as handle:
        return {
            row["area_code"]: AreaCode(
                code=row["area_code"],
                region=row["region"],
                state=row["state"],
                zones=tuple(row["time_zones"].split()),
            )
            for row in csv.DictReader(handle)
        }


def applies_to(kind: str) -> bool:
    """Whether texts of `kind` (a Message.Kind) must wait for the window."""
    return kind not in _REPLY_KINDS


def _rules(phone: str) -> tuple[tuple[ZoneInfo, tuple], ...]:
    """The (zone, weekly hours) pairs that all must be open for `phone`."""
    npa = area_code(phone)
    if npa in area_codes():
        return _area_code_rules(npa)
    return _build_rules(_zones_outside_nanp(phone), "")


@functools.cache
def _area_code_rules(npa: str) -> tuple[tuple[ZoneInfo, tuple], ...]:
    entry = area_codes()[npa]
    return _build_rules(entry.zones, entry.state)


def _build_rules(names: tuple[str, ...], state: str) -> tuple[tuple[ZoneInfo, tuple], ...]:
    week = STATE_HOURS.get(state, (FEDERAL_HOURS,) * 3)
    return tuple((ZoneInfo(name), week) for name in (names or FALLBACK_ZONES))


def _zones_outside_nanp(phone: str) -> tuple[str, ...]:
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return ()
    zones = phone_timezones.time_zones_for_number(number)
    return tuple(zone for zone in zones if zone != "Etc/Unknown")


def _day_hours(week: tuple, day: datetime.date) -> Hours | None:
    weekday = day.weekday()
    return week[0] if weekday < 5 else week[weekday - 4]


def _open_in(zone: ZoneInfo, week: tuple, at: datetime.datetime) -> bool:
    local = at.astimezone(zone)
    hours = _day_hours(week, local.date())
    return hours is not None and local.time() in hours


def is_open(phone: str, at: datetime.datetime) -> bool:
    """Whether `at` falls inside the phone's window in every zone it may be in."""
    return all(_open_in(zone, week, at) for zone, week in _rules(phone))


def next_open(phone: str, at: datetime.datetime) -> datetime.datetime:
    """Return `at` if the phone's window is open then, else when it next opens.

    The overlap of several zones' windows opens when the last of them does,
    so the answer is always one of the zones' local opening times.
    """
    rules = _rules(phone)
    if is_open(phone, at):
        return at
    openings = sorted(
        opening for zone, week in rules for opening in _openings(zone, week, at) if opening > at
    )
    for opening in openings:
        if is_open(phone, opening):
            return opening
    # Every table entry opens within days (a test walks them all).
    raise ValueError(  # pragma: no cover
        f"No sending window within a week for area code {area_code(phone)}"
    )


def _openings(zone: ZoneInfo, week: tuple, at: datetime.datetime):
    today = at.astimezone(zone).date()
    for offset in range(8):
        day = today + datetime.timedelta(days=offset)
        hours = _day_hours(week, day)
        if hours is not None:
            yield datetime.datetime.combine(day, hours.start, tzinfo=zone).astimezone(UTC)


def send_after(*, phone: str, kind: str, at: datetime.datetime) -> datetime.datetime | None:
    """When a text of `kind` to `phone`, ready at `at`, may go out: None if
    now, else the opening of the phone's next window. Always None when
    SMS_QUIET_HOURS_ENABLED is off."""
    if not settings.SMS_QUIET_HOURS_ENABLED or not applies_to(kind) or is_open(phone, at):
        return None
    return next_open(phone, at)


def recipient_local_time(phone: str, when: datetime.datetime) -> datetime.datetime:
    """`when` in the recipient's (first) zone, for telling the agent."""
    zone, _week = _rules(phone)[0]
    return when.astimezone(zone)
