"""Rebuild `area_codes.csv`, the NANP area-code table quiet hours read.

Facts come from libphonenumber (the `phonenumbers` package): the region of
each area code, its US state or territory (from the geocoder), and every time
zone that any of its exchanges uses. Run it after upgrading `phonenumbers`:

    python -m messaging.data.generate_area_codes > messaging/data/area_codes.csv
"""

import csv
import sys
from collections import defaultdict

import phonenumbers
from phonenumbers import geocoder
from phonenumbers.tzdata import TIMEZONE_DATA

# Exchanges tried, in turn, until one makes a valid number for the area code.
_SAMPLE_LINES = ("5550101", "2345678", "3456789", "4567890", "7654321", "8765432", "9876543")

US_STATES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "Florida": "FL", "Georgia": "GA",
    "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA",
    "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD",
    "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN", "Mississippi": "MS",
    "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV", "New Hampshire": "NH",
    "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY", "North Carolina": "NC",
    "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA",
    "Rhode Island": "RI", "South Carolina": "SC", "South Dakota": "SD", "Tennessee": "TN",
    "Texas": "TX", "Utah": "UT", "Vermont": "VT", "Virginia": "VA", "Washington D.C.": "DC",
    "Washington State": "WA", "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
}  # fmt: skip
# US territories in the NANP are regions of their own in libphonenumber.
US_TERRITORIES = {"PR": "PR", "VI": "VI", "GU": "GU", "MP": "MP", "AS": "AS"}


def _zones_by_area_code() -> dict[str, set[str]]:
    """Every zone any prefix under an area code maps to, so an area code
    that spans zones lists them all."""
    zones = defaultdict(set)
    for prefix, names in TIMEZONE_DATA.items():
        if prefix.startswith("1") and len(prefix) >= 4:
            zones[prefix[1:4]].update(name for name in names if name != "Etc/Unknown")
    return zones


def _sample_number(npa: str):
    for line in _SAMPLE_LINES:
        number = phonenumbers.parse(f"+1{npa}{line}")
        if phonenumbers.is_valid_number(number):
            return number
    if npa == "684":  # American Samoa: only its own exchanges are valid.
        return phonenumbers.parse("+16846330101")
    return None


def _state(region: str, description: str) -> str:
    if region in US_TERRITORIES:
        return US_TERRITORIES[region]
    if region != "US" or not description:
        return ""
    if "," in description:  # "New York, NY": a city, then the state.
        return description.rsplit(",", 1)[1].strip()
    return US_STATES[description]


def rows():
    """Yield (area_code, region, state, zones) for every NANP area code."""
    zones = _zones_by_area_code()
    for code in range(200, 1000):
        npa = str(code)
        number = _sample_number(npa)
        if number is None:
            continue
        region = phonenumbers.region_code_for_number(number) or ""
        description = geocoder.description_for_number(number, "en")
        yield npa, region, _state(region, description), " ".join(sorted(zones.get(npa, ())))


def main(out=sys.stdout) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["area_code", "region", "state", "time_zones"])
    writer.writerows(rows())


if __name__ == "__main__":
    main()
