import csv
import datetime
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from phonenumbers.tzdata import TIMEZONE_DATA

from messaging import quiet_hours
from messaging.data import generate_area_codes
from messaging.models import Message

UTC = datetime.UTC


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


LOS_ANGELES = "+13235550101"
NEW_YORK = "+12125550101"
PHOENIX = "+16025550101"
DENVER = "+13035550101"
MIAMI = "+13055550101"
PANHANDLE = "+18505550101"  # area code 850: Eastern and Central
NAVAJO = "+19285550101"  # area code 928: Arizona, and the Navajo Nation's DST
HONOLULU = "+18085550101"
TOLL_FREE = "+18005550101"


class AreaCodeTableTests:
    def test_every_us_area_code_of_libphonenumber_is_in_the_table(self):
        """The table covers each NANP area code libphonenumber knows."""
        table = quiet_hours.area_codes()
        known = {row[0] for row in generate_area_codes.rows()}

        assert known == set(table)
        assert sum(1 for entry in table.values() if entry.region == "US") > 300

    def test_table_matches_a_fresh_build(self, tmp_path):
        """The committed CSV is what the generator builds from this phonenumbers."""
        target = tmp_path / "area_codes.csv"
        with target.open("w", encoding="utf-8", newline="") as handle:
            generate_area_codes.main(handle)

        assert target.read_text() == quiet_hours.AREA_CODES_CSV.read_text()

    def test_geographic_us_area_codes_have_a_state_and_zones(self):
        with quiet_hours.AREA_CODES_CSV.open(encoding="utf-8") as handle:
            rows = [row for row in csv.DictReader(handle) if row["region"] == "US"]
        geographic = [row for row in rows if row["time_zones"]]

        assert all(row["state"] for row in geographic)
        assert {row["state"] for row in geographic} >= {"FL", "OK", "MD", "MS", "NJ", "DC"}

    @pytest.mark.parametrize(
        ("code", "state", "zones"),
        [
            ("212", "NY", ("America/New_York",)),
            ("323", "CA", ("America/Los_Angeles",)),
            ("602", "AZ", ("America/Phoenix",)),
            ("850", "FL", ("America/Chicago", "America/New_York")),
            ("928", "AZ", ("America/Denver", "America/Phoenix")),
            ("787", "PR", ("America/Puerto_Rico",)),
        ],
    )
    def test_area_code_maps_to_state_and_every_zone_it_spans(self, code, state, zones):
        entry = quiet_hours.area_codes()[code]

        assert (entry.state, entry.zones) == (state, zones)

    def test_zones_include_every_zone_libphonenumber_gives_an_exchange(self):
        """An area code spanning zones lists each of them: the strictest window."""
        for prefix, names in TIMEZONE_DATA.items():
            if not prefix.startswith("1") or len(prefix) < 4:
                continue
            entry = quiet_hours.area_codes().get(prefix[1:4])
            if entry is not None:
                assert set(names) - {"Etc/Unknown"} <= set(entry.zones), prefix


class QuietHoursTests:
    @pytest.fixture(autouse=True)
    def _quiet_hours_on(self, settings):
        settings.SMS_QUIET_HOURS_ENABLED = True

    def test_los_angeles_at_0530_utc_waits_until_8_am_pacific_daylight(self):
        """05:30Z in July is 10:30 pm in Los Angeles; it goes at 8 am PDT."""
        assert quiet_hours.next_open(LOS_ANGELES, at(2026, 7, 1, 5, 30)) == at(2026, 7, 1, 15)

    def test_los_angeles_at_0530_utc_in_winter_waits_until_8_am_standard(self):
        """In January 8 am in Los Angeles is 16:00Z, an hour later in UTC."""
        assert quiet_hours.next_open(LOS_ANGELES, at(2026, 1, 15, 5, 30)) == at(2026, 1, 15, 16)

    def test_arizona_keeps_standard_time_in_summer(self):
        """14:30Z in July: 8:30 am in Denver (MDT) but 7:30 am in Phoenix."""
        moment = at(2026, 7, 1, 14, 30)

        assert quiet_hours.is_open(DENVER, moment)
        assert not quiet_hours.is_open(PHOENIX, moment)
        assert quiet_hours.next_open(PHOENIX, moment) == at(2026, 7, 1, 15)

    def test_arizona_and_denver_agree_in_winter(self):
        moment = at(2026, 1, 15, 15, 30)  # 8:30 am MST in both

        assert quiet_hours.is_open(DENVER, moment) and quiet_hours.is_open(PHOENIX, moment)

    def test_new_york_evening_at_daylight_saving_change(self):
        """9 pm EDT is 01:00Z before the fall change, 9 pm EST 02:00Z after."""
        assert not quiet_hours.is_open(NEW_YORK, at(2026, 10, 31, 1, 30))
        assert quiet_hours.is_open(NEW_YORK, at(2026, 11, 2, 1, 30))

    def test_spring_forward_morning_opens_at_8_local(self):
        """On the March change day 8 am EDT is 12:00Z, not 13:00Z."""
        assert quiet_hours.next_open(NEW_YORK, at(2026, 3, 8, 6)) == at(2026, 3, 8, 12)

    def test_florida_closes_at_8_pm(self):
        """00:30Z in July is 8:30 pm Eastern: open in New York, not in Miami."""
        moment = at(2026, 7, 2, 0, 30)

        assert quiet_hours.is_open(NEW_YORK, moment)
        assert not quiet_hours.is_open(MIAMI, moment)

    @pytest.mark.parametrize(
        "phone", ["+14055550101", "+14105550101", "+16015550101", "+12015550101"]
    )
    def test_oklahoma_maryland_mississippi_new_jersey_close_at_8_pm(self, phone):
        zone = ZoneInfo(quiet_hours.area_codes()[phone[2:5]].zones[0])
        local = datetime.datetime(2026, 7, 1, 20, 30, tzinfo=zone)  # a Wednesday

        assert not quiet_hours.is_open(phone, local.astimezone(UTC))
        assert quiet_hours.is_open(phone, (local - datetime.timedelta(hours=1)).astimezone(UTC))

    def test_area_code_spanning_zones_uses_the_strictest_window(self):
        """850 opens at 8 am Central (13:00Z in July), an hour after Eastern,
        and closes at 8 pm Eastern (00:00Z), an hour before Central."""
        assert not quiet_hours.is_open(PANHANDLE, at(2026, 7, 1, 12, 30))
        assert quiet_hours.next_open(PANHANDLE, at(2026, 7, 1, 12, 30)) == at(2026, 7, 1, 13)
        assert not quiet_hours.is_open(PANHANDLE, at(2026, 7, 2, 0, 30))

    def test_navajo_nation_daylight_time_makes_928_stricter_than_phoenix(self):
        """20:30 MST in Phoenix is 21:30 MDT in the Navajo Nation."""
        moment = at(2026, 7, 2, 3, 30)

        assert quiet_hours.is_open(PHOENIX, moment)
        assert not quiet_hours.is_open(NAVAJO, moment)

    def test_unknown_zone_waits_for_the_window_open_everywhere_in_the_us(self):
        """A toll-free number's zone is unknown: 8 am in Hawaii to 9 pm Eastern."""
        assert quiet_hours.next_open(TOLL_FREE, at(2026, 7, 1, 16)) == at(2026, 7, 1, 18)
        assert quiet_hours.is_open(TOLL_FREE, at(2026, 7, 2, 0, 30))
        assert not quiet_hours.is_open(TOLL_FREE, at(2026, 7, 2, 1, 30))

    def test_alabama_sunday_waits_for_monday(self):
        sunday_noon = at(2026, 7, 5, 17)  # noon CDT, a Sunday

        assert quiet_hours.next_open("+12055550101", sunday_noon) == at(2026, 7, 6, 13)

    def test_texas_sunday_opens_at_noon(self):
        sunday_morning = at(2026, 7, 5, 15)  # 10 am CDT

        assert quiet_hours.next_open("+12145550101", sunday_morning) == at(2026, 7, 5, 17)

    def test_hawaii_has_no_daylight_saving(self):
        assert quiet_hours.next_open(HONOLULU, at(2026, 7, 1, 17)) == at(2026, 7, 1, 18)
        assert quiet_hours.next_open(HONOLULU, at(2026, 1, 1, 17)) == at(2026, 1, 1, 18)

    def test_open_window_returns_the_moment_itself(self):
        moment = at(2026, 7, 1, 18)

        assert quiet_hours.next_open(NEW_YORK, moment) == moment
        assert quiet_hours.send_after(phone=NEW_YORK, kind="regular", at=moment) is None

    @pytest.mark.parametrize(
        ("kind", "waits"),
        [
            (Message.Kind.REGULAR, True),
            (Message.Kind.OPTIN_REQUEST, True),
            (Message.Kind.HELP_REPLY, False),
            (Message.Kind.OPTIN_CONFIRMATION, False),
            (Message.Kind.OPTOUT_CONFIRMATION, False),
        ],
    )
    def test_only_texts_the_agent_starts_wait(self, kind, waits):
        """Replies to the contact's own text (HELP, confirmations) go at once."""
        night = at(2026, 7, 1, 5, 30)

        waiting = quiet_hours.send_after(phone=LOS_ANGELES, kind=kind, at=night)

        assert (waiting == at(2026, 7, 1, 15)) if waits else waiting is None

    def test_recipient_local_time_is_in_their_zone(self):
        local = quiet_hours.recipient_local_time(LOS_ANGELES, at(2026, 7, 1, 15))

        assert (local.hour, str(local.tzinfo)) == (8, "America/Los_Angeles")

    def test_number_outside_the_nanp_uses_its_own_zone(self):
        london = phonenumbers.format_number(
            phonenumbers.parse("+447911123456"), phonenumbers.PhoneNumberFormat.E164
        )

        assert quiet_hours.next_open(london, at(2026, 7, 1, 3)) == at(2026, 7, 1, 7)


class QuietHoursSwitchTests:
    def test_switched_off_nothing_waits(self, settings):
        settings.SMS_QUIET_HOURS_ENABLED = False

        assert (
            quiet_hours.send_after(phone=LOS_ANGELES, kind="regular", at=at(2026, 7, 1, 5)) is None
        )


class UnknownSenderTests:
    def test_text_that_is_no_phone_number_gets_the_all_us_window(self, settings):
        settings.SMS_QUIET_HOURS_ENABLED = True

        assert quiet_hours.next_open("not-a-phone", at(2026, 7, 1, 16)) == at(2026, 7, 1, 18)

    def test_every_area_code_in_the_table_has_a_window_within_a_week(self):
        moment = at(2026, 7, 4, 3)  # a Saturday night in the US
        for code in quiet_hours.area_codes():
            opening = quiet_hours.next_open(f"+1{code}5550101", moment)
            assert opening - moment < datetime.timedelta(days=3), code
