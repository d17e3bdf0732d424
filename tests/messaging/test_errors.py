"""The one table of provider errors: retry, or stop with a reason."""

import pytest

from messaging.errors import TWILIO_ERRORS, Consequence, classify_error, delivery_error


class ClassifyErrorTests:
    @pytest.mark.parametrize(
        ("code", "http_status", "reached"),
        [
            (20429, 429, True),
            (None, 429, True),
            (None, 500, True),
            (None, 503, True),
            (None, None, False),
        ],
    )
    def test_retry_only_when_it_cannot_send_twice(self, code, http_status, reached):
        assert classify_error(code=code, http_status=http_status, reached=reached).retryable

    def test_no_answer_after_the_request_left_is_for_review(self):
        info = classify_error(code=None, http_status=None, reached=True)

        assert not info.retryable and info.consequence == Consequence.REVIEW

    @pytest.mark.parametrize(
        ("code", "consequence"),
        [
            (21610, Consequence.OPT_OUT),
            (21211, Consequence.INVALID_PHONE),
            (21614, Consequence.INVALID_PHONE),
            (21408, Consequence.NONE),
            (21612, Consequence.NONE),
            (30007, Consequence.NONE),
            (30034, Consequence.CAMPAIGN_PROBLEM),
        ],
    )
    def test_permanent_errors_are_not_retried_and_say_why(self, code, consequence):
        info = classify_error(code=code, http_status=400, reached=True)

        assert not info.retryable and info.consequence == consequence
        assert info.reason.endswith(".")

    def test_30007_carries_a_hint(self):
        assert "link shorteners" in TWILIO_ERRORS[30007].explanation

    def test_30034_names_the_registration_problem(self):
        assert TWILIO_ERRORS[30034].reason.startswith("A2P 10DLC campaign not registered")

    def test_unknown_4xx_is_a_refusal_with_its_code(self):
        info = classify_error(code=21999, http_status=400, reached=True)

        assert (info.retryable, info.reason) == (False, "Twilio refused the text (error 21999).")


class DeliveryErrorTests:
    def test_known_code_from_a_callback_uses_the_table(self):
        assert delivery_error("21610").consequence == Consequence.OPT_OUT

    @pytest.mark.parametrize(
        ("code", "reason"),
        [
            ("", "The carrier did not deliver the text."),
            ("99999", "The carrier did not deliver the text (error 99999)."),
        ],
    )
    def test_unknown_or_missing_code(self, code, reason):
        assert delivery_error(code).reason == reason
