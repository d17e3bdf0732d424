"""What a contact's reply means for consent: opt-out, opt-in, help, or other.

One table of keywords, one normaliser, one classifier. The rules are the
brief's (PRODUCT.md, "Replies from the contact"):

- The whole reply, once normalised, must be keywords only (with politeness or
  filler words around them), or one of the short revocations below. Then it
  opts out, opts in or asks for help; when it holds both an opt-out and an
  opt-in word, opt-out wins.
- A longer message that merely contains an opt-out word or a revocation
  ("please don't stop sending listings", "no problem, see you at 3") changes
  nothing, but is returned with `possible_opt_out` so that a person reviews
  it: honouring it blindly would silence contacts who said the opposite, and
  ignoring it could miss a revocation given "by any reasonable means".
"""

import dataclasses
import enum
import re
import unicodedata

# Twilio's default opt-out keywords (Messaging Services and the account-wide
# handling, https://help.twilio.com/articles/223134027).
TWILIO_OPT_OUT_KEYWORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
)
# Every reply that opts out on its own: Twilio's list (REVOKE and OPTOUT are
# the FCC's 2024 additions), the spaced forms people type, NO because the
# opt-in request asks for it, the plain English and Spanish ways of saying no,
# and the usual misspellings of "unsubscribe".
OPT_OUT_KEYWORDS = TWILIO_OPT_OUT_KEYWORDS | frozenset(
    {
        "stop all",
        "opt out",
        "no",
        # The short no, as Y is the short yes.
        "n",
        "nope",
        "nah",
        "unsub",
        "unsuscribe",
        "unsubcribe",
        "unsubscribed",
        # Spanish: "alto" (stop), "parar" (to stop), "basta" (enough),
        # "baja" (as in "darse de baja", unsubscribe), "cancelar".
        "alto",
        "parar",
        "basta",
        "baja",
        "cancelar",
    }
)
# Twilio's opt-in list (START, YES, UNSTOP), the usual ways of saying yes, and
# the Spanish yes ("si"; accents are removed before matching).
OPT_IN_KEYWORDS = frozenset(
    {"yes", "y", "yep", "yup", "yeah", "yea", "ya", "start", "unstop", "opt in", "optin", "si"}
)
HELP_KEYWORDS = frozenset({"help", "info", "ayuda"})
HELP_PHRASES = frozenset({"help me", "i need help", "more info", "more information"})

# Short replies that plainly revoke consent though no keyword stands alone;
# FCC rules (47 CFR 64.1200(a)(10)) let people revoke "by any reasonable
# means". Matched after filler words are dropped, on both sides.
REVOCATION_PHRASES = frozenset(
    {
        *(
            f"{verb} {action}"
            for verb in ("stop", "quit", "cease", "no more")
            for action in (
                "texting",
                "texting me",
                "txting me",
                "texts",
                "messaging",
                "messaging me",
                "messages",
                "contacting me",
                "sending",
                "sending me",
                "sending texts",
                "sending me texts",
                "sending messages",
                "sending me messages",
                "sending me these",
                "spamming me",
                "the texts",
                "these texts",
                "these messages",
            )
        ),
        "unsubscribe me",
        "opt me out",
        "cancel me",
        "cancel my subscription",
        "cancel subscription",
        "unsubscribe from this",
        "unsubscribe from these",
        "unsubscribe from your list",
        "stop me",
        "no texts",
        "no texting",
        "remove me",
        "remove me from your list",
        "remove me from this list",
        "remove me from the list",
        "remove me from your texts",
        "remove my number",
        "remove this number",
        "delete my number",
        "lose my number",
        "take me off",
        "take me off your list",
        "take me off the list",
        "take my number off your list",
        "wrong number",
        "you have the wrong number",
        "youve got the wrong number",
        "this is the wrong number",
        "wrong person",
        "not interested",
        "im not interested",
        "i am not interested",
        "no longer interested",
        "no im good",
        "do not text",
        "do not text me",
        "dont text",
        "dont text me",
        "do not text this number",
        "dont text this number",
        "do not contact me",
        "dont contact me",
        "do not message me",
        "dont message me",
        "leave me alone",
        "i want to unsubscribe",
        "i would like to unsubscribe",
        "id like to unsubscribe",
        "i want to opt out",
        "i want out",
        "i dont want these texts",
        "i do not want these texts",
        "i dont want texts",
        "no more",
        "never text me again",
        "never contact me again",
        "never message me again",
        "i do not want your texts",
        "i dont want your texts",
        "i never signed up for this",
        "i never signed up",
        "dont text me anymore",
        "do not text me anymore",
        "stop wrong number",
        "hell no",
        # Said again after a first STOP that did not seem to work.
        "i said stop",
        "i said to stop",
        "i told you to stop",
    }
)
# Keywords that revoke even as one sentence of several ("Who is this? Stop").
# NO, END and CANCEL are left out: as a sentence of their own they answer
# other questions too ("No. See you at 3").
SENTENCE_OPT_OUT_KEYWORDS = frozenset(
    {"stop", "stopall", "stop all", "unsubscribe", "quit", "revoke", "optout", "opt out"}
)
# Words that are no keyword but may well mean stop: misspellings, and stop in
# the languages US contacts write in besides English and Spanish. A reply
# holding one is not an opt-out, but a person looks at it.
POSSIBLE_OPT_OUT_WORDS = frozenset(
    {"stopp", "stahp", "sotp", "stpo", "stp", "arret", "arrete", "arreter", "pare", "parem"}
)
# Replies that revoke when they are the whole reply, but are everyday words
# inside a longer one ("Please remove the photo"): never flagged there.
WHOLE_REPLY_REVOCATIONS = frozenset({"remove"})
# Words that join an opt-in word to an opt-out in one reply ("Yes but stop"),
# and those with the opt-in words: what is left of such a reply is the opt-out.
_CONJUNCTIONS = frozenset({"but", "and", "or"})
_YES_AND_CONJUNCTIONS = OPT_IN_KEYWORDS | _CONJUNCTIONS
# Words that may surround a keyword without changing what it means.
FILLER_WORDS = frozenset(
    {
        "please",
        "pls",
        "plz",
        "plez",
        "thank",
        "thanks",
        "thx",
        "tx",
        "ty",
        "you",
        "now",
        "ok",
        "okay",
        "k",
        "sure",
        "it",
        "this",
        "all",
        "and",
        "sir",
        "maam",
        "asap",
        "immediately",
        "already",
        "again",
        "enough",
        "gracias",
        "por",
        "favor",
        "muchas",
    }
)
# Emoji that, sent on their own, look like a stop: not an opt-out, but a
# person should look (stop sign, no entry, prohibited, raised hand).
STOP_EMOJI = frozenset({"\U0001f6d1", "\u26d4", "\U0001f6ab", "\u270b"})

# Every apostrophe and quote that keyboards and phones produce, folded to the
# straight forms (NFKC leaves these alone).
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
    }
)
# Cyrillic and Greek letters that look like Latin ones, as in "sтор" typed
# with a Cyrillic t, o and p, and small capitals; applied after casefolding,
# so lowercase only.
_LOOKALIKES = str.maketrans(
    {
        "\u0430": "a",
        "\u0435": "e",
        "\u043a": "k",
        "\u043c": "m",
        "\u043d": "h",
        "\u043e": "o",
        "\u0440": "p",
        "\u0441": "c",
        "\u0442": "t",
        "\u0443": "y",
        "\u0445": "x",
        "\u0456": "i",
        "\u0458": "j",
        "\u0455": "s",
        "\u03b1": "a",
        "\u03b5": "e",
        "\u03b9": "i",
        "\u03ba": "k",
        "\u03bd": "v",
        "\u03bf": "o",
        "\u03c1": "p",
        "\u03c4": "t",
        "\u03c5": "u",
        # Small capitals, as in "ꜱᴛᴏᴘ".
        "\u1d00": "a",
        "\u0299": "b",
        "\u1d04": "c",
        "\u1d05": "d",
        "\u1d07": "e",
        "\u0262": "g",
        "\u029c": "h",
        "\u026a": "i",
        "\u1d0a": "j",
        "\u1d0b": "k",
        "\u029f": "l",
        "\u1d0d": "m",
        "\u0274": "n",
        "\u1d0f": "o",
        "\u1d18": "p",
        "\u0280": "r",
        "\ua731": "s",
        "\u1d1b": "t",
        "\u1d1c": "u",
        "\u1d20": "v",
        "\u1d21": "w",
        "\u028f": "y",
        "\u1d22": "z",
    }
)
# Greek capitals whose small letters look like other Latin ones (N and ν,
# Y and υ): folded before casefolding.
_LOOKALIKE_CAPITALS = str.maketrans(
    {"\u039d": "N", "\u03a5": "Y", "\u0392": "B", "\u0397": "H", "\u03a7": "X", "\u0396": "Z"}
)
# Digits typed for letters ("ST0P", "5T0P"), read so only to flag a reply.
_DIGITS_AS_LETTERS = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"})
# A phone's signature under the reply ("Sent from my iPhone").
_SIGNATURE = re.compile(r"\s*\bsent from my [^\n]*\s*$", re.IGNORECASE)
_NOT_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
# Sentences and what ends each, kept (the parentheses) to tell a question.
_SENTENCE_END = re.compile(r"([.!?;\n]+)")
# "Nooo", "STOPPPP", "yesss": a letter said three or more times counts once.
_STRETCHED = re.compile(r"([a-z])\1{2,}")
# A word typed a letter at a time: "s t o p", or "S.T.O.P" once punctuation
# became spaces.
_SPELLED_OUT = re.compile(r"[a-z](?: [a-z])+")
# Inside a longer reply only three letters or more are taken as one word, so
# that "I a" or "a b" stay as typed; "S T O P please" reads "stop please".
_SPELLED_OUT_RUN = re.compile(r"\b[a-z](?: [a-z]){2,}\b")
# Keywords of two words, joined into one token before matching so that the
# second word is not taken for filler ("stop all") or a keyword of its own.
_JOINED = {
    ("opt", "out"): "opt out",
    ("opt", "in"): "opt in",
    ("stop", "all"): "stop all",
    ("un", "subscribe"): "unsubscribe",
}
_ALL_KEYWORDS = OPT_OUT_KEYWORDS | OPT_IN_KEYWORDS | HELP_KEYWORDS


class ReplyKind(enum.StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    OTHER = "other"


@dataclasses.dataclass(frozen=True)
class Reply:
    """What a reply means. `keyword` is the keyword or revocation matched;
    for a possible opt-out, the word, phrase or emoji that raised the flag."""

    kind: ReplyKind
    keyword: str = ""
    possible_opt_out: bool = False


def normalize(body: str | None) -> str:
    """Fold a reply to lowercase ASCII words separated by single spaces.

    Compatibility forms (full-width letters), accents, smart quotes, case,
    punctuation, emoji, stretched letters and any whitespace or newlines are
    all removed or folded; apostrophes vanish ("don't" -> "dont"). Invisible
    characters (zero-width spaces and joiners) vanish too, and a word spelled
    out letter by letter ("S T O P", "s.t.o.p") is read as the word.
    """
    text = body or ""
    if text.isascii():
        # Unicode normal forms and accents change nothing in ASCII, which
        # most replies are; only the backtick is a quote to fold.
        text = text.translate(_QUOTES)
    else:
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
        text = text.translate(_LOOKALIKE_CAPITALS)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not _is_mark_or_invisible(ch))
    # "#" is said "number" ("Wrong #").
    text = text.casefold().replace("'", "").replace("#", " number ")
    if not text.isascii():
        text = text.translate(_LOOKALIKES)
    text = _NOT_WORD.sub(" ", text)
    text = _STRETCHED.sub(r"\1", text)
    text = _SPACES.sub(" ", text).strip()
    if _SPELLED_OUT.fullmatch(text):
        word = text.replace(" ", "")
        # Two letters make a word only when it is a keyword ("N O", not "Y N").
        if len(word) > 2 or word in _ALL_KEYWORDS:
            return word
        return text
    if " " in text:
        text = _SPELLED_OUT_RUN.sub(lambda run: run.group().replace(" ", ""), text)
    return text


def _is_mark_or_invisible(ch: str) -> bool:
    """An accent left over by NFKD, or a format character such as a zero-width
    space, which a phone may slip into a word ("st\u200bop")."""
    return unicodedata.combining(ch) != 0 or unicodedata.category(ch) == "Cf"


def _tokens(text: str) -> list[str]:
    words = text.split()
    tokens: list[str] = []
    i = 0
    while i < len(words):
        pair = tuple(words[i : i + 2])
        if pair in _JOINED:
            tokens.append(_JOINED[pair])
            i += 2
        else:
            tokens.append(words[i])
            i += 1
    return tokens


def _core(text: str) -> str:
    """The words of a normalised text that carry meaning (filler dropped)."""
    return " ".join(token for token in _tokens(text) if token not in FILLER_WORDS)


# Each revocation in the form a reply takes once its filler is dropped (where
# phrases differ only in filler, the shortest names their core, whatever the
# order of the set), and the same pairs longest first, padded with spaces, for
# finding one inside a longer message.
_REVOCATION_CORES: dict[str, str] = {}
for _phrase in sorted(REVOCATION_PHRASES, key=lambda phrase: (len(phrase), phrase)):
    _REVOCATION_CORES.setdefault(_core(normalize(_phrase)), _phrase)
_REVOCATIONS_LONGEST_FIRST = [
    (f" {phrase_core} ", phrase)
    for phrase_core, phrase in sorted(
        _REVOCATION_CORES.items(), key=lambda item: (-len(item[0]), item[0])
    )
]


def classify(body: str | None) -> Reply:
    """Return what a reply means for consent; never raises, whatever the body."""
    body = _SIGNATURE.sub("", body) if body and "sent from my" in body.lower() else body
    text = normalize(body)
    if not text:
        emoji = next((ch for ch in body or "" if ch in STOP_EMOJI), "")
        return Reply(ReplyKind.OTHER, keyword=emoji, possible_opt_out=bool(emoji))

    core = _core(text)
    tokens = _tokens(core)
    if tokens and all(token in _ALL_KEYWORDS for token in tokens):
        return _keywords_only(tokens)
    if core in _REVOCATION_CORES:
        return Reply(ReplyKind.OPT_OUT, keyword=_REVOCATION_CORES[core])
    if core in WHOLE_REPLY_REVOCATIONS:
        return Reply(ReplyKind.OPT_OUT, keyword=core)
    if core in HELP_PHRASES:
        return Reply(ReplyKind.HELP, keyword=core)

    revoking = _revoked_despite_yes(tokens) or _revoking_sentence(body)
    if revoking:
        return Reply(ReplyKind.OPT_OUT, keyword=revoking)

    flag = _flag(_tokens(text), core)
    return Reply(ReplyKind.OTHER, keyword=flag, possible_opt_out=bool(flag))


def _revoked_despite_yes(tokens: list[str]) -> str:
    """The opt-out of a reply that also says yes ("Yes but stop", "Yes, I said
    stop"), or '': when a reply holds both, opt-out wins."""
    rest = [token for token in tokens if token not in _YES_AND_CONJUNCTIONS]
    if not rest or len(rest) == len(tokens):
        return ""
    if all(token in OPT_OUT_KEYWORDS for token in rest):
        return rest[0]
    return _REVOCATION_CORES.get(" ".join(rest), "")


def _revoking_sentence(body: str) -> str:
    """The revocation that stands as a whole sentence of a longer reply
    ("Wrong number. Stop"), or ''. A question ("Unsubscribe? No way") asks;
    it does not revoke."""
    parts = _SENTENCE_END.split(body)
    for sentence, end in zip(parts[::2], [*parts[1::2], ""], strict=True):
        if "?" in end:
            continue
        core = _core(normalize(sentence))
        if core in SENTENCE_OPT_OUT_KEYWORDS:
            return core
        if core in _REVOCATION_CORES:
            return _REVOCATION_CORES[core]
    return ""


def _keywords_only(tokens: list[str]) -> Reply:
    """Classify a reply made of keywords alone: opt-out wins, then opt-in when
    every word is one; a mix of opt-in and help words is taken as help."""
    for token in tokens:
        if token in OPT_OUT_KEYWORDS:
            return Reply(ReplyKind.OPT_OUT, keyword=token)
    if all(token in OPT_IN_KEYWORDS for token in tokens):
        return Reply(ReplyKind.OPT_IN, keyword=tokens[0])
    return Reply(ReplyKind.HELP, keyword=next(t for t in tokens if t in HELP_KEYWORDS))


def _flag(tokens: list[str], core: str) -> str:
    """The opt-out word or revocation inside a longer message, or ''."""
    for token in tokens:
        # A lone letter inside a longer reply ("rock n roll") is no stop.
        if len(token) > 1 and (token in OPT_OUT_KEYWORDS or token in POSSIBLE_OPT_OUT_WORDS):
            return token
        if not token.isalpha() and token.translate(_DIGITS_AS_LETTERS) in OPT_OUT_KEYWORDS:
            return token
    padded = f" {core} "
    for padded_phrase, phrase in _REVOCATIONS_LONGEST_FIRST:
        if padded_phrase in padded:
            return phrase
    return ""
