"""What a contact's reply means for consent: opt-out, opt-in, help, or none.

One table of keywords, one normaliser, one classifier. The rules are the
brief's (PRODUCT.md, "Replies from the contact"): the whole reply, once
normalised, must be a keyword or a short revocation; opt-out wins over opt-in;
a longer sentence that merely contains an opt-out word is only flagged for a
person to review, because honouring it blindly would silence contacts who
said "please don't stop".
"""

import dataclasses
import enum
import re
import unicodedata

# Twilio's default opt-out list (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END,
# QUIT), the FCC's 2024 additions (REVOKE, OPTOUT) and NO, because our opt-in
# request asks the contact to reply NO.
OPT_OUT_KEYWORDS = frozenset(
    {
        "stop",
        "stopall",
        "stop all",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "revoke",
        "optout",
        "opt out",
        "no",
    }
)
# Twilio's opt-in list (START, YES, UNSTOP) and the usual ways to say yes.
# "si" is the Spanish yes (accents are removed before matching).
OPT_IN_KEYWORDS = frozenset({"yes", "y", "yep", "yeah", "yea", "start", "unstop", "si"})
HELP_KEYWORDS = frozenset({"help", "info"})

# Short replies that plainly revoke consent though no keyword stands alone.
# FCC rules let people revoke "by any reasonable means".
REVOCATION_PHRASES = frozenset(
    {
        "stop texting me",
        "stop texting",
        "stop messaging me",
        "stop contacting me",
        "stop sending me texts",
        "stop sending texts",
        "stop sending me messages",
        "unsubscribe me",
        "remove me",
        "remove me from your list",
        "remove me from this list",
        "remove me from the list",
        "take me off your list",
        "take me off the list",
        "take me off",
        "wrong number",
        "no more texts",
        "no more messages",
        "no more",
        "no thanks",
        "no thank you",
        "not interested",
        "do not text me",
        "dont text me",
        "do not contact me",
        "dont contact me",
        "leave me alone",
        "opt me out",
        "cancel me",
        "lose my number",
    }
)
# Words that may surround a keyword without changing what it means.
FILLER_WORDS = frozenset(
    {
        "please",
        "pls",
        "plz",
        "thank",
        "thanks",
        "thx",
        "ty",
        "you",
        "now",
        "ok",
        "okay",
        "it",
        "this",
        "all",
        "sir",
        "maam",
        "asap",
        "immediately",
        "already",
        "and",
    }
)

# Straight forms of the quotes and apostrophes phone keyboards make curly.
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_NOT_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


class ReplyKind(enum.StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    OTHER = "other"


@dataclasses.dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    keyword: str = ""
    possible_opt_out: bool = False


def normalize(body: str | None) -> str:
    """Fold a reply to lowercase ASCII words separated by single spaces.

    Compatibility forms (full-width letters), accents, smart quotes, case,
    punctuation, emoji and any whitespace are all removed or folded.
    """
    text = unicodedata.normalize("NFKD", (body or "").translate(_QUOTES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("'", "")
    text = _NOT_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def _without_filler(words: list[str]) -> list[str]:
    return [word for word in words if word not in FILLER_WORDS]


def classify(body: str | None) -> Reply:
    """Return what a reply means for consent; never raises, whatever the body."""
    text = normalize(body)
    if not text:
        return Reply(ReplyKind.OTHER)
    core = " ".join(_without_filler(text.split())) or text

    for candidate in (text, core):
        if candidate in OPT_OUT_KEYWORDS:
            return Reply(ReplyKind.OPT_OUT, keyword=candidate)
    if core in REVOCATION_PHRASES or text in REVOCATION_PHRASES:
        return Reply(ReplyKind.OPT_OUT, keyword=core)
    opt_out_word = _first_opt_out_word(core)
    if opt_out_word and _only_keywords(core):
        # "yes stop", "stop stop": opt-out wins over opt-in.
        return Reply(ReplyKind.OPT_OUT, keyword=opt_out_word)

    for candidate in (text, core):
        if candidate in OPT_IN_KEYWORDS:
            return Reply(ReplyKind.OPT_IN, keyword=candidate)
        if candidate in HELP_KEYWORDS:
            return Reply(ReplyKind.HELP, keyword=candidate)
    if _only_keywords(core) and all(word in OPT_IN_KEYWORDS for word in core.split()):
        return Reply(ReplyKind.OPT_IN, keyword=core.split()[0])

    return Reply(ReplyKind.OTHER, possible_opt_out=opt_out_word is not None)


def _first_opt_out_word(text: str) -> str | None:
    padded = f" {text} "
    for keyword in sorted(OPT_OUT_KEYWORDS, key=len, reverse=True):
        if f" {keyword} " in padded:
            return keyword
    return None


def _only_keywords(text: str) -> bool:
    keywords = OPT_OUT_KEYWORDS | OPT_IN_KEYWORDS | HELP_KEYWORDS
    return all(word in keywords for word in text.replace("opt out", "optout").split())
