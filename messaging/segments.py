"""How many SMS segments a body costs, counted the way Twilio bills it.

A body made only of GSM-7 characters (3GPP TS 23.038) is sent 7 bits a
character: 160 in one segment, 153 a segment once it needs several (the rest
is the header that joins them). A character of the GSM-7 extension table
(``^ { } \\ [ ~ ] | €`` and form feed) costs two, an escape and itself. Any
other character, a smart quote or an emoji among them, sends the whole body
as UCS-2: 70 UTF-16 code units in one segment, 67 a segment beyond that, an
emoji taking two. A character never straddles two segments: an escape pair
or a surrogate pair that does not fit starts the next segment.

The composer's script (static/js/segments.js) runs the same algorithm over
the tables below, which the page hands it, so the two counts cannot drift.
"""

import dataclasses

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# The GSM-7 default alphabet, minus the escape (0x1B) that leads into the
# extension table.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# Per-segment capacity, in septets (GSM-7) or UTF-16 code units (UCS-2).
SINGLE = {GSM7: 160, UCS2: 70}
MULTI = {GSM7: 153, UCS2: 67}

# Typographic punctuation that phones and word processors put in place of
# the GSM-7 characters people meant. Replacing it keeps a text in GSM-7.
SMART_PUNCTUATION = {
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark, the usual apostrophe
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",  # prime
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',  # double prime
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2212": "-",  # minus sign
    "\u2026": "...",  # horizontal ellipsis
    "\u00a0": " ",  # no-break space
    "\u2009": " ",  # thin space
    "\u202f": " ",  # narrow no-break space
}


@dataclasses.dataclass(frozen=True)
class SegmentCount:
    """What a body costs: its encoding, length and segments."""

    encoding: str
    # Characters as Twilio counts them toward its 1,600 limit (`twilio_length`).
    characters: int
    units: int
    segments: int
    # Characters that force UCS-2, each once, in order of appearance.
    non_gsm: tuple[str, ...] = ()

    @property
    def is_ucs2(self) -> bool:
        return self.encoding == UCS2

    @property
    def has_smart_punctuation(self) -> bool:
        """Whether replacing smart punctuation would remove some of `non_gsm`."""
        return any(char in SMART_PUNCTUATION for char in self.non_gsm)


def _gsm7_cost(char: str) -> int | None:
    if char in GSM7_BASIC:
        return 1
    if char in GSM7_EXTENSION:
        return 2
    return None


def _ucs2_cost(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _pack(costs: list[int], per_segment: int) -> int:
    """Count segments when no character may be split between two."""
    segments, used = 1, 0
    for cost in costs:
        if used + cost > per_segment:
            segments += 1
            used = 0
        used += cost
    return segments


def twilio_length(body: str) -> int:
    """The length of `body` as Twilio counts it toward its 1,600-character
    limit: in UTF-16 code units, so an emoji (or any character beyond the
    Basic Multilingual Plane) counts as two. A browser's string length and
    textarea `maxlength` count the same way."""
    return len(body) + sum(1 for char in body if ord(char) > 0xFFFF)


def count_segments(body: str) -> SegmentCount:
    """Return the encoding, units and segments Twilio would bill for `body`."""
    non_gsm = tuple(dict.fromkeys(char for char in body if _gsm7_cost(char) is None))
    encoding = UCS2 if non_gsm else GSM7
    if encoding == GSM7:
        costs = [_gsm7_cost(char) for char in body]
    else:
        costs = [_ucs2_cost(char) for char in body]
    units = sum(costs)

    if units == 0:
        segments = 0
    elif units <= SINGLE[encoding]:
        segments = 1
    else:
        segments = _pack(costs, MULTI[encoding])
    return SegmentCount(
        encoding=encoding,
        characters=twilio_length(body),
        units=units,
        segments=segments,
        non_gsm=non_gsm,
    )


def replace_smart_punctuation(body: str) -> str:
    """Return `body` with smart quotes, dashes and ellipses made plain."""
    return "".join(SMART_PUNCTUATION.get(char, char) for char in body)


def composer_config() -> dict:
    """The tables and limits the composer's script counts with."""
    return {
        "basic": "".join(sorted(GSM7_BASIC)),
        "extension": "".join(sorted(GSM7_EXTENSION)),
        "single": SINGLE,
        "multi": MULTI,
        "replacements": SMART_PUNCTUATION,
    }
