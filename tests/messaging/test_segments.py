import json
import shutil
import subprocess

import pytest

from messaging.segments import (
    GSM7,
    UCS2,
    composer_config,
    count_segments,
    replace_smart_punctuation,
)
from tests.services import ROOT, missing

# FC-20: a 150-character body with straight quotes, and the same with smart ones.
FC20_STRAIGHT = (
    'Open house "Sat" 2-4pm at 12 Harbor Lane: new kitchen, big yard, quiet street. '
    "Bring your questions, I'll have coffee ready. Call me any time, Anne B."
)
FC20_SMART = FC20_STRAIGHT.replace('"Sat"', "\u201cSat\u201d").replace("I'll", "I\u2019ll")

# (body, encoding, units, segments): counts as Twilio bills them.
KNOWN_BODIES = [
    ("", GSM7, 0, 0),
    ("Hello", GSM7, 5, 1),
    ("Line one\nLine two", GSM7, 17, 1),
    ("Café à 5 €? Ça va!", GSM7, 19, 1),
    ("a" * 160, GSM7, 160, 1),
    ("a" * 161, GSM7, 161, 2),
    ("a" * 306, GSM7, 306, 2),
    ("a" * 307, GSM7, 307, 3),
    ("a" * 158 + "€", GSM7, 160, 1),
    ("a" * 159 + "€", GSM7, 161, 2),
    ("[]" * 40, GSM7, 160, 1),
    ("{~}" + "a" * 155, GSM7, 161, 2),
    # An escape pair never straddles two segments.
    ("a" * 152 + "^" + "a" * 152, GSM7, 306, 3),
    ("a" * 1530, GSM7, 1530, 10),
    ("a" * 1600, GSM7, 1600, 11),
    ("ç", UCS2, 1, 1),
    ("Back`tick", UCS2, 9, 1),
    ("ж" * 70, UCS2, 70, 1),
    ("ж" * 71, UCS2, 71, 2),
    ("ж" * 134, UCS2, 134, 2),
    ("ж" * 135, UCS2, 135, 3),
    ("\U0001f44d", UCS2, 2, 1),
    ("\U0001f44d" * 35, UCS2, 70, 1),
    ("\U0001f44d" * 36, UCS2, 72, 2),
    # A surrogate pair (an emoji) never straddles two segments either.
    ("ж" * 66 + "\U0001f44d" + "ж" * 66, UCS2, 134, 3),
    ("See you there \U0001f3e1", UCS2, 16, 1),
    ("It\u2019s a deal", UCS2, 11, 1),
    (FC20_STRAIGHT, GSM7, 150, 1),
    (FC20_SMART, UCS2, 150, 3),
]


class SegmentCountTests:
    def test_fc20_bodies_are_150_characters(self):
        assert len(FC20_STRAIGHT) == 150
        assert len(FC20_SMART) == 150

    @pytest.mark.parametrize(("body", "encoding", "units", "segments"), KNOWN_BODIES)
    def test_counts_as_twilio_bills(self, body, encoding, units, segments):
        count = count_segments(body)

        assert (count.encoding, count.units, count.segments) == (encoding, units, segments)
        assert count.characters == len(body.encode("utf-16-le")) // 2

    def test_names_the_characters_that_force_ucs2_once_each(self):
        count = count_segments("\u201cSat\u201d and \u201cSun\u201d \U0001f3e1")

        assert count.non_gsm == ("\u201c", "\u201d", "\U0001f3e1")
        assert count.has_smart_punctuation is True

    def test_an_emoji_alone_is_not_smart_punctuation(self):
        count = count_segments("Sold \U0001f389")

        assert count.is_ucs2 is True
        assert count.has_smart_punctuation is False

    def test_gsm7_body_names_no_character(self):
        count = count_segments(FC20_STRAIGHT)

        assert count.non_gsm == ()
        assert count.is_ucs2 is False


class ReplaceSmartPunctuationTests:
    def test_fc20_smart_quotes_become_straight_and_gsm7(self):
        plain = replace_smart_punctuation(FC20_SMART)

        assert plain == FC20_STRAIGHT
        assert count_segments(plain).segments == 1

    def test_dashes_ellipsis_and_spaces_become_plain(self):
        body = "2\u20134pm \u2014 see you\u2026\u00a0bye"

        assert replace_smart_punctuation(body) == "2-4pm - see you... bye"

    def test_emoji_is_left_alone(self):
        assert replace_smart_punctuation("Hi \U0001f44b") == "Hi \U0001f44b"


_NODE_RUNNER = """
const seg = require(process.argv[1]);
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = input.bodies.map((b) => {
  const c = seg.countSegments(b, input.config);
  return [c.encoding, c.characters, c.units, c.segments, c.nonGsm, c.hasSmartPunctuation,
          seg.replaceSmartPunctuation(b, input.config)];
});
process.stdout.write(JSON.stringify(out));
"""


class ComposerScriptMirrorTests:
    def test_script_counts_every_known_body_as_the_server_does(self):
        """static/js/segments.js, run under Node, agrees with the server on every body."""
        node = shutil.which("node")
        if node is None:
            missing("needs Node.js to run static/js/segments.js")
        bodies = [body for body, *_ in KNOWN_BODIES] + [FC20_SMART + " \u2026 \u2014"]
        payload = json.dumps({"bodies": bodies, "config": composer_config()})

        result = subprocess.run(
            [node, "-e", _NODE_RUNNER, str(ROOT / "static" / "js" / "segments.js")],
            input=payload,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )

        expected = []
        for body in bodies:
            count = count_segments(body)
            expected.append(
                [
                    count.encoding,
                    count.characters,
                    count.units,
                    count.segments,
                    list(count.non_gsm),
                    count.has_smart_punctuation,
                    replace_smart_punctuation(body),
                ]
            )
        assert json.loads(result.stdout) == expected
