"""The reply classifier against replies people really send."""

import pytest

from optin.keywords import (
    FILLER_WORDS,
    HELP_KEYWORDS,
    OPT_IN_KEYWORDS,
    OPT_OUT_KEYWORDS,
    REVOCATION_PHRASES,
    TWILIO_OPT_OUT_KEYWORDS,
    ReplyKind,
    classify,
    normalize,
)

OUT, IN, HELP, OTHER = ReplyKind.OPT_OUT, ReplyKind.OPT_IN, ReplyKind.HELP, ReplyKind.OTHER
FLAG = "flag"  # OTHER, flagged as a possible opt-out
ANY = object()  # the keyword is not asserted

LONG = "I wanted to follow up on the listing we saw on Saturday and ask about the HOA. " * 20

# (reply, expected class, expected keyword)
REPLIES = [
    # Every opt-out keyword, in the forms phones produce.
    ("STOP", OUT, "stop"),
    ("stop", OUT, "stop"),
    ("Stop", OUT, "stop"),
    ("sToP", OUT, "stop"),
    ("STOP.", OUT, "stop"),
    ("STOP!", OUT, "stop"),
    ("Stop!!!", OUT, "stop"),
    ("stop?", OUT, "stop"),
    (" stop ", OUT, "stop"),
    ("Stop\n", OUT, "stop"),
    ("\tSTOP", OUT, "stop"),
    ("\n\nSTOP\r\n", OUT, "stop"),
    ("STOP \U0001f6d1", OUT, "stop"),
    ("\U0001f6d1 STOP \U0001f6d1", OUT, "stop"),
    ("STOP\U0001f64f", OUT, "stop"),
    ("\uff33\uff34\uff2f\uff30", OUT, "stop"),  # full-width STOP
    ("\uff33\uff54\uff4f\uff50", OUT, "stop"),
    ("\u201cSTOP\u201d", OUT, "stop"),
    ("'stop'", OUT, "stop"),
    ("*STOP*", OUT, "stop"),
    ("STOP STOP STOP", OUT, "stop"),
    ("Stoppp", OUT, "stop"),
    ("S\u0301TOP", OUT, "stop"),  # a stray combining accent
    ("STOPALL", OUT, "stopall"),
    ("stopall", OUT, "stopall"),
    ("stop all", OUT, "stop all"),
    ("Stop-all", OUT, "stop all"),
    ("STOP ALL!", OUT, "stop all"),
    ("UNSUBSCRIBE", OUT, "unsubscribe"),
    ("unsubscribe.", OUT, "unsubscribe"),
    ("Un-subscribe", OUT, "unsubscribe"),
    ("unsub", OUT, "unsub"),
    ("Unsuscribe", OUT, "unsuscribe"),
    ("CANCEL", OUT, "cancel"),
    ("cancel!", OUT, "cancel"),
    ("END", OUT, "end"),
    ("end.", OUT, "end"),
    ("QUIT", OUT, "quit"),
    ("quit", OUT, "quit"),
    ("REVOKE", OUT, "revoke"),
    ("revoke", OUT, "revoke"),
    ("OPTOUT", OUT, "optout"),
    ("optout", OUT, "optout"),
    ("OPT OUT", OUT, "opt out"),
    ("Opt out", OUT, "opt out"),
    ("opt-out", OUT, "opt out"),
    ("Opt-Out.", OUT, "opt out"),
    ("NO", OUT, "no"),
    ("no", OUT, "no"),
    ("No.", OUT, "no"),
    ("No!", OUT, "no"),
    ("Nooo", OUT, "no"),
    ("nope", OUT, "nope"),
    ("Nah", OUT, "nah"),
    ("no no no", OUT, "no"),
    # A keyword with politeness or filler around it.
    ("Stop. Thank you", OUT, "stop"),
    ("Stop please", OUT, "stop"),
    ("Please stop", OUT, "stop"),
    ("STOP PLEASE!!", OUT, "stop"),
    ("stop pls", OUT, "stop"),
    ("Stop, thanks", OUT, "stop"),
    ("stop thank you!", OUT, "stop"),
    ("Stop now", OUT, "stop"),
    ("Stop it", OUT, "stop"),
    ("Stop this", OUT, "stop"),
    ("ok stop", OUT, "stop"),
    ("Stop already", OUT, "stop"),
    ("Please unsubscribe", OUT, "unsubscribe"),
    ("Unsubscribe please, thank you", OUT, "unsubscribe"),
    ("Cancel please", OUT, "cancel"),
    ("Cancel all", OUT, "cancel"),
    ("No thanks", OUT, "no"),
    ("No thank you", OUT, "no"),
    ("No, thank you.", OUT, "no"),
    ("no thx", OUT, "no"),
    ("Nope, thanks", OUT, "nope"),
    # Short replies that plainly revoke.
    ("unsubscribe me", OUT, "unsubscribe me"),
    ("Unsubscribe me please", OUT, "unsubscribe me"),
    ("please stop texting me", OUT, "stop texting me"),
    ("Stop texting me", OUT, "stop texting me"),
    ("STOP TEXTING ME!!!", OUT, "stop texting me"),
    ("stop messaging me", OUT, "stop messaging me"),
    ("Stop sending me texts", OUT, "stop sending me texts"),
    ("Quit texting me", OUT, "quit texting me"),
    ("no more texts", OUT, "no more texts"),
    ("No more texts please", OUT, "no more texts"),
    ("No more messages", OUT, "no more messages"),
    ("No more", OUT, "no more"),
    ("remove me", OUT, "remove me"),
    ("Remove me from your list", OUT, "remove me from your list"),
    ("Please remove me from your list", OUT, "remove me from your list"),
    ("remove me from this list", OUT, "remove me from this list"),
    ("Take me off your list", OUT, "take me off your list"),
    ("take me off the list please", OUT, "take me off the list"),
    ("wrong number", OUT, "wrong number"),
    ("Wrong number!", OUT, "wrong number"),
    ("You have the wrong number", OUT, "you have the wrong number"),
    ("this is the wrong number", OUT, "this is the wrong number"),
    ("Wrong person", OUT, "wrong person"),
    ("Not interested", OUT, "not interested"),
    ("I'm not interested", OUT, "im not interested"),
    ("I\u2019m not interested, thanks", OUT, "im not interested"),
    ("Do not text me", OUT, "do not text me"),
    ("Don't text me", OUT, "dont text me"),
    ("Don\u2019t text me again", OUT, "dont text me"),
    ("dont contact me", OUT, "dont contact me"),
    ("Leave me alone", OUT, "leave me alone"),
    ("Opt me out", OUT, "opt me out"),
    ("Lose my number", OUT, "lose my number"),
    ("I want to unsubscribe", OUT, "i want to unsubscribe"),
    # Spanish.
    ("S\u00ed", IN, "si"),
    ("si", IN, "si"),
    ("SI", IN, "si"),
    ("Si, por favor", IN, "si"),
    ("S\u00ed, gracias", IN, "si"),
    ("No, gracias", OUT, "no"),
    ("no gracias", OUT, "no"),
    ("Alto", OUT, "alto"),
    ("BAJA", OUT, "baja"),
    ("Ayuda", HELP, "ayuda"),
    # Every opt-in keyword.
    ("YES", IN, "yes"),
    ("yes", IN, "yes"),
    ("Yes!", IN, "yes"),
    ("YES.", IN, "yes"),
    ("Yes please", IN, "yes"),
    ("yes, thank you", IN, "yes"),
    ("Yes \U0001f44d", IN, "yes"),
    ("YESSS", IN, "yes"),
    ("Y", IN, "y"),
    ("y", IN, "y"),
    ("Yep", IN, "yep"),
    ("Yeah", IN, "yeah"),
    ("yeah!", IN, "yeah"),
    ("yea", IN, "yea"),
    ("START", IN, "start"),
    ("start", IN, "start"),
    ("Start.", IN, "start"),
    ("UNSTOP", IN, "unstop"),
    ("Opt in", IN, "opt in"),
    ("opt-in", IN, "opt in"),
    ("\uff39\uff25\uff33", IN, "yes"),  # full-width YES
    ("yes yes", IN, "yes"),
    ("Ok yes", IN, "yes"),
    ("Sure, yes", IN, "yes"),
    # Opt-out wins over opt-in.
    ("Yes stop", OUT, "stop"),
    ("YES. STOP.", OUT, "stop"),
    ("Start stop", OUT, "stop"),
    ("no yes", OUT, "no"),
    ("yes no", OUT, "no"),
    ("Stop, yes", OUT, "stop"),
    ("STOP HELP", OUT, "stop"),
    # Help.
    ("HELP", HELP, "help"),
    ("help", HELP, "help"),
    ("Help!", HELP, "help"),
    ("help?", HELP, "help"),
    ("INFO", HELP, "info"),
    ("info", HELP, "info"),
    ("Info please", HELP, "info"),
    ("Help me", HELP, "help me"),
    ("HELP ME PLEASE", HELP, "help me"),
    ("I need help", HELP, "i need help"),
    ("yes help", HELP, "help"),
    # Sentences that merely contain an opt-out word: flagged, not acted on.
    ("Please don't stop sending listings", FLAG, "stop"),
    ("Please don\u2019t stop", FLAG, "stop"),
    ("Don't stop!", FLAG, "stop"),
    ("do not stop texting me", FLAG, "stop"),
    ("Never stop sending me deals", FLAG, "stop"),
    ("No problem, see you at 3", FLAG, "no"),
    ("No problem", FLAG, "no"),
    ("no worries, talk soon", FLAG, "no"),
    ("No, I can't make it Saturday", FLAG, "no"),
    ("Is there no parking at the house?", FLAG, "no"),
    ("I'll stop by the office tomorrow", FLAG, "stop"),
    ("Can we end the call early?", FLAG, "end"),
    ("I need to cancel my showing tomorrow", FLAG, "cancel"),
    ("The seller wants to quit the listing", FLAG, "quit"),
    ("stop by at 3?", FLAG, "stop"),
    ("stop and go", FLAG, "stop"),
    # A revocation that stands as a sentence of its own revokes, whatever
    # else the reply says.
    ("Stop texting me. Who is this?", OUT, "stop texting me"),
    ("Wrong number. Stop", OUT, "wrong number"),
    ("Who is this? Stop", OUT, "stop"),
    ("Thanks for the info!\nUnsubscribe", OUT, "unsubscribe"),
    ("No. See you at 3", FLAG, "no"),
    ("Great, thanks! Stop by anytime", FLAG, "stop"),
    ("Please stop texting me after 9pm", FLAG, "stop"),
    ("Unsubscribe me from the newsletter but keep texting", FLAG, "unsubscribe"),
    ("I'm not interested in that one, show me others", FLAG, "im not interested"),
    ("I think you have the wrong number for John", FLAG, "you have the wrong number"),
    ("Please do not text me before 8am", FLAG, "do not text me"),
    ("\U0001f6d1", FLAG, "\U0001f6d1"),
    ("\u26d4\ufe0f", FLAG, "\u26d4"),
    (LONG + " STOP", OUT, "stop"),
    # A keyword typed a letter at a time, or with an invisible character in
    # it, is the keyword; a STOP said again is a revocation.
    ("S T O P", OUT, "stop"),
    ("s.t.o.p", OUT, "stop"),
    ("S-T-O-P please", OUT, "stop"),
    ("N O", OUT, "no"),
    ("y e s", IN, "yes"),
    ("st\u200bop", OUT, "stop"),
    ("S\u200dTOP", OUT, "stop"),
    ("un\u00adsubscribe", OUT, "unsubscribe"),
    ("I said stop", OUT, "i said stop"),
    ("I told you to STOP!", OUT, "i told you to stop"),
    # A reply that says yes and stop opts out; a question does not revoke.
    ("Yes, but STOP", OUT, "stop"),
    ("yes but stop", OUT, "stop"),
    ("Yes, I said stop", OUT, "i said stop"),
    ("Y N", OUT, "n"),
    ("Unsubscribe? No way, keep them coming!", FLAG, "unsubscribe"),
    ("Stop? Why would I, love the listings", FLAG, "stop"),
    # Look-alike letters, and words that may mean stop but are no keyword.
    ("s\u0442\u043e\u0440", OUT, "stop"),
    ("\u0405TOP", OUT, "stop"),
    ("Stopp", FLAG, "stopp"),
    ("stahp", FLAG, "stahp"),
    ("Arr\u00eate", FLAG, "arrete"),
    ("N", OUT, "n"),
    ("Salt n pepper shakers are in the kitchen", OTHER, ""),
    ("Yup", IN, "yup"),
    ("never text me again", OUT, "never text me again"),
    ("I never signed up for this!", OUT, "i never signed up for this"),
    ("Don't text me anymore", OUT, "dont text me anymore"),
    ("Stop, wrong number", OUT, "stop wrong number"),
    ("ENOUGH STOP", OUT, "stop"),
    ("hell no", OUT, "hell no"),
    ("\u039d\u039f", OUT, "no"),
    ("\u03a5ES", IN, "yes"),
    ("\ua731\u1d1b\u1d0f\u1d18", OUT, "stop"),
    ("ST0P", FLAG, "st0p"),
    ("ARRET", FLAG, "arret"),
    ("Remove", OUT, "remove"),
    ("Please remove the photo of the kitchen", OTHER, ""),
    ("Wrong #", OUT, "wrong number"),
    ("Is unit #4 still open?", OTHER, ""),
    ("YES\n\nSent from my iPhone", IN, "yes"),
    ("Sounds good\nSent from my Galaxy", OTHER, ""),
    ("o k", OTHER, ""),
    ("see you at 3 p m", OTHER, ""),
    (LONG + " Please don't stop", FLAG, "stop"),
    ("STOP " + "x" * 2000, FLAG, "stop"),
    # Everything else: a normal message.
    ("", OTHER, ""),
    (None, OTHER, ""),
    ("   ", OTHER, ""),
    ("\n\t", OTHER, ""),
    ("\U0001f44d", OTHER, ""),
    ("\U0001f600\U0001f600\U0001f600", OTHER, ""),
    ("\u2764\ufe0f", OTHER, ""),
    ("Hi", OTHER, ""),
    ("Hello, is the house on Elm still available?", OTHER, ""),
    ("Thanks!", OTHER, ""),
    ("thank you", OTHER, ""),
    ("OK", OTHER, ""),
    ("ok \U0001f44d", OTHER, ""),
    ("Please", OTHER, ""),
    ("Sounds good, thanks", OTHER, ""),
    ("Who is this?", OTHER, ""),
    ("Call me", OTHER, ""),
    ("What time is the open house?", OTHER, ""),
    ("Yes, I'd love to see it Saturday", OTHER, ""),
    ("Stopwatch", OTHER, ""),
    ("weekend plans?", OTHER, ""),
    ("Yesterday was great", OTHER, ""),
    ("Noon works", OTHER, ""),
    ("Unstoppable market!", OTHER, ""),
    ("Information about 12 Oak St please", OTHER, ""),
    ("12345", OTHER, ""),
    ("S", OTHER, ""),
    (LONG, OTHER, ""),
    # Very long replies made of one keyword.
    ("STOP" + " " * 5000, OUT, "stop"),
    ("STOP" + " please" * 50, OUT, "stop"),
    ("Yes " * 300, IN, "yes"),
]


class ClassifyTests:
    def test_the_table_is_large_enough(self):
        assert len(REPLIES) >= 150
        assert len({reply for reply, _kind, _keyword in REPLIES}) == len(REPLIES)

    @pytest.mark.parametrize(("body", "expected", "keyword"), REPLIES)
    def test_reply(self, body, expected, keyword):
        reply = classify(body)

        if expected == FLAG:
            assert (reply.kind, reply.possible_opt_out) == (OTHER, True)
        else:
            assert (reply.kind, reply.possible_opt_out) == (expected, False)
        if keyword is not ANY:
            assert reply.keyword == keyword

    def test_every_revocation_phrase_opts_out_as_itself(self):
        for phrase in REVOCATION_PHRASES:
            for body in (phrase, phrase.upper() + "!", f"Please {phrase}, thank you"):
                assert classify(body).kind == OUT, body

    def test_every_keyword_classifies_as_its_own_list(self):
        for keyword in OPT_OUT_KEYWORDS:
            assert classify(keyword.upper()).kind == OUT, keyword
        for keyword in OPT_IN_KEYWORDS:
            assert classify(keyword.upper()).kind == IN, keyword
        for keyword in HELP_KEYWORDS:
            assert classify(keyword.upper()).kind == HELP, keyword

    def test_never_raises_on_odd_input(self):
        odd = ["\x00", "\ud7ff", "\u200b\u200bSTOP\u200b", "\ufeffstop", "\u0000yes", "\U0010ffff"]
        kinds = [classify(body).kind for body in odd]
        assert kinds == [OTHER, OTHER, OUT, OUT, IN, OTHER]


class KeywordListsTests:
    def test_opt_out_list_is_a_superset_of_twilios(self):
        twilio = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
        assert twilio <= TWILIO_OPT_OUT_KEYWORDS <= OPT_OUT_KEYWORDS

    def test_opt_out_list_has_the_briefs_additions(self):
        assert {"opt out", "stop all", "no"} <= OPT_OUT_KEYWORDS

    def test_opt_in_and_help_lists_hold_twilios(self):
        assert {"start", "yes", "unstop"} <= OPT_IN_KEYWORDS
        assert {"help", "info"} <= HELP_KEYWORDS

    def test_lists_do_not_overlap(self):
        lists = [OPT_OUT_KEYWORDS, OPT_IN_KEYWORDS, HELP_KEYWORDS, FILLER_WORDS]
        for i, first in enumerate(lists):
            for second in lists[i + 1 :]:
                assert not first & second

    def test_every_keyword_is_already_normalised(self):
        for keyword in OPT_OUT_KEYWORDS | OPT_IN_KEYWORDS | HELP_KEYWORDS | FILLER_WORDS:
            assert normalize(keyword) == keyword


class NormalizeTests:
    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            ("\uff33\uff34\uff2f\uff30", "stop"),
            ("Don\u2019t  STOP!!\n", "dont stop"),
            ("\u201cYes\u201d", "yes"),
            ("S\u00ed", "si"),
            ("stop\U0001f6d1now", "stop now"),
            ("\tOpt-Out\r\n", "opt out"),
            ("NOOOO", "no"),
            ("S T O P", "stop"),
            ("st\u200bop", "stop"),
            ("Call me at 3 p m", "call me at 3 p m"),
            ("I a m here", "iam here"),
            (None, ""),
        ],
    )
    def test_folds(self, body, expected):
        assert normalize(body) == expected
