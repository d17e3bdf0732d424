"""Each check before submission, with a registration that passes it and one
that fails it, and the reason the admin reads."""

import pytest

from registration import checks
from registration.checks import Problem, check_brand, check_campaign, check_registration
from tests.factories import BrandFactory, BrokerageFactory, CampaignFactory

NAMES = ["Bayview Realty LLC", "Bayview Realty"]
CONFIRMATION = (
    "You're subscribed to texts from Bayview Realty. Msg frequency varies. "
    "Msg & data rates may apply. Reply HELP for help, STOP to opt out."
)


def fields_of(problems: list[Problem]) -> list[str]:
    return [problem.field for problem in problems]


class EinTests:
    def test_two_digits_dash_seven_digits_passes(self):
        assert checks.ein_problem("12-3456789") is None

    @pytest.mark.parametrize("ein", ["123456789", "12-345678", "1-23456789", "AB-CDEFGHI", ""])
    def test_any_other_form_fails(self, ein):
        assert checks.ein_problem(ein) == (
            "Write the EIN as on the IRS letter: two digits, a dash, seven digits "
            "(12-3456789). Carriers match it against the IRS record."
        )

    @pytest.mark.parametrize("ein", ["00-0000000", "07-1234567", "49-1234567", "96-1234567"])
    def test_a_prefix_the_irs_never_assigns_fails(self, ein):
        assert checks.ein_problem(ein) == (
            f"No EIN starts with {ein[:2]}. Copy it again from the IRS letter."
        )


class HttpsUrlTests:
    def test_https_address_passes(self):
        assert checks.https_url_problem("https://bayviewrealty.example.com/privacy", "x") is None

    @pytest.mark.parametrize(
        "url",
        [
            "http://bayviewrealty.example.com",
            "bayviewrealty.example.com",
            "https://localhost",
            "https://bayview realty.com",
            "",
        ],
    )
    def test_anything_but_a_full_https_address_fails(self, url):
        problem = checks.https_url_problem(url, "website")
        assert problem.startswith("The website must be a full web address starting with https://")


class LengthTests:
    @pytest.mark.parametrize("length", [40, 4096])
    def test_description_within_40_to_4096_passes(self, length):
        assert checks.length_problem("x" * length, checks.DESCRIPTION_LENGTH, "description") is None

    @pytest.mark.parametrize("length", [39, 4097])
    def test_description_outside_fails(self, length):
        problem = checks.length_problem("x" * length, checks.DESCRIPTION_LENGTH, "description")
        assert problem == f"The description must be 40 to 4,096 characters long; it has {length:,}."

    @pytest.mark.parametrize("length", [40, 2048])
    def test_message_flow_within_40_to_2048_passes(self, length):
        assert checks.length_problem("x" * length, checks.MESSAGE_FLOW_LENGTH, "flow") is None

    @pytest.mark.parametrize("length", [39, 2049])
    def test_message_flow_outside_fails(self, length):
        assert checks.length_problem("x" * length, checks.MESSAGE_FLOW_LENGTH, "flow")


class SampleTests:
    def sample(self, length=60):
        return ("Bayview Realty: " + "x" * length)[:length]

    @pytest.mark.parametrize("count", [2, 5])
    def test_two_to_five_samples_pass(self, count):
        assert checks.sample_problems([self.sample()] * count, NAMES) == []

    @pytest.mark.parametrize("count", [1, 6])
    def test_fewer_than_two_or_more_than_five_fail(self, count):
        assert checks.sample_problems([self.sample()] * count, NAMES) == [
            f"Give 2 to 5 sample messages; there are {count}."
        ]

    @pytest.mark.parametrize("length", [20, 1024])
    def test_samples_of_20_to_1024_characters_pass(self, length):
        assert checks.sample_problems([self.sample(length)] * 2, NAMES) == []

    @pytest.mark.parametrize("length", [19, 1025])
    def test_shorter_or_longer_samples_fail(self, length):
        problems = checks.sample_problems([self.sample(60), self.sample(length)], NAMES)
        assert problems == [
            f"The sample message 2 must be 20 to 1,024 characters long; it has {length:,}."
        ]

    def test_sample_naming_the_brand_without_llc_passes(self):
        assert checks.names_brand("Hi, Alex from bayview realty here", NAMES)

    def test_sample_without_the_brand_fails(self):
        problems = checks.sample_problems(
            [self.sample(), "Open house Saturday 2-4pm at 5 Elm St, come by!"], NAMES
        )
        assert problems == [
            'Sample message 2 must name the business (e.g. "Bayview Realty LLC"): carriers '
            "reject samples that do not say who is texting."
        ]


class DisclosureTests:
    def test_confirmation_with_every_disclosure_passes(self):
        assert checks.disclosure_problems(CONFIRMATION, NAMES) == []

    @pytest.mark.parametrize(
        ("drop", "missing"),
        [
            ("from Bayview Realty", "the business name"),
            ("Msg frequency varies. ", 'the message frequency (e.g. "Msg frequency varies")'),
            ("Msg & data rates may apply. ", '"Msg & data rates may apply"'),
            ("Reply HELP for help, ", "how to get help (HELP)"),
            (", STOP to opt out", "how to opt out (STOP)"),
        ],
    )
    def test_each_missing_disclosure_is_named(self, drop, missing):
        assert checks.disclosure_problems(CONFIRMATION.replace(drop, ""), NAMES) == [missing]

    def test_frequency_may_be_a_count(self):
        text = CONFIRMATION.replace("Msg frequency varies", "Up to 4 msgs/month")
        assert checks.disclosure_problems(text, NAMES) == []

    def test_request_may_offer_no_instead_of_stop(self):
        request = (
            "Alex of Bayview Realty would like to text you. Reply YES to opt in or NO to opt "
            "out. Msg frequency varies. Msg & data rates may apply. Reply HELP for help."
        )
        assert checks.disclosure_problems(request, NAMES, needs_stop=False) == []
        assert checks.disclosure_problems(request, NAMES) == ["how to opt out (STOP)"]


class MessageFlowTests:
    @pytest.mark.parametrize(
        "flow",
        [
            "Contacts opt in by replying YES to the agent's request.",
            "Leads check a box on the contact form at https://bayviewrealty.example.com.",
            "Clients give consent on the listing agreement.",
            "Visitors sign up at open houses on a paper form.",
        ],
    )
    def test_a_flow_saying_how_people_opt_in_passes(self, flow):
        assert checks.message_flow_problem(flow) is None

    def test_a_flow_without_it_fails(self):
        problem = checks.message_flow_problem("We text our clients about houses and listings.")
        assert problem.startswith("Say how contacts opt in and where")


class KeywordTests:
    def test_opt_out_keywords_with_stop_pass(self):
        assert checks.keyword_problem("stop, quit , End", "STOP", "why") is None

    def test_opt_out_keywords_without_stop_fail(self):
        assert checks.keyword_problem("QUIT, END, STOPALL", "STOP", "carriers require it.") == (
            "The keywords must include STOP: carriers require it."
        )


@pytest.mark.django_db
class CheckBrandTests:
    def test_a_complete_brand_passes(self):
        assert check_brand(BrandFactory()) == []

    def test_an_empty_draft_lists_every_missing_field(self):
        brand = BrandFactory.build(
            legal_name="",
            ein="",
            street="",
            city="",
            state="",
            postal_code="",
            website="",
            rep_first_name="",
            rep_email="",
            rep_phone="",
        )
        assert fields_of(check_brand(brand)) == [
            "legal_name",
            "street",
            "city",
            "state",
            "postal_code",
            "rep_first_name",
            "ein",
            "website",
            "rep_email",
            "rep_phone",
        ]

    @pytest.mark.parametrize("state", ["ZZ", "XX", "Ca1"])
    def test_a_state_code_that_is_no_state_fails(self, state):
        brand = BrandFactory.build(state=state)
        assert "state" in fields_of(check_brand(brand))

    @pytest.mark.parametrize("state", ["CA", "ny", "DC", "PR"])
    def test_states_dc_and_territories_pass(self, state):
        brand = BrandFactory.build(state=state)
        assert "state" not in fields_of(check_brand(brand))

    def test_state_and_zip_must_be_us_codes(self):
        brand = BrandFactory.build(state="California", postal_code="941")
        assert fields_of(check_brand(brand)) == ["state", "postal_code"]

    def test_a_public_company_needs_its_exchange_and_ticker(self):
        brand = BrandFactory.build(company_type="public")
        assert check_brand(brand) == [
            Problem(
                "stock_ticker",
                "A publicly traded company must give its stock exchange and ticker symbol.",
            )
        ]
        brand.stock_exchange, brand.stock_ticker = "NASDAQ", "BAYV"
        assert check_brand(brand) == []


@pytest.mark.django_db
class CheckCampaignTests:
    def test_a_complete_campaign_passes(self):
        assert check_campaign(CampaignFactory(), NAMES) == []

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"description": "Texts about houses."}, "description"),
            (
                {"message_flow": "We text people about houses, listings and showings."},
                "message_flow",
            ),
            ({"message_samples": ["Bayview Realty: open house Sat 2-4pm"]}, "message_samples"),
            ({"opt_in_keywords": "START"}, "opt_in_keywords"),
            ({"opt_in_message": "You're subscribed. Reply STOP to opt out."}, "opt_in_message"),
            ({"opt_out_keywords": "QUIT, END"}, "opt_out_keywords"),
            ({"opt_out_message": "You will get no more texts."}, "opt_out_message"),
            ({"help_keywords": "INFO"}, "help_keywords"),
            ({"help_message": "Call us at (202) 555-0199."}, "help_message"),
            (
                {"privacy_policy_url": "http://bayviewrealty.example.com/privacy"},
                "privacy_policy_url",
            ),
            ({"terms_url": ""}, "terms_url"),
            ({"use_case": ""}, "use_case"),
        ],
    )
    def test_each_field_is_checked(self, change, field):
        assert fields_of(check_campaign(CampaignFactory.build(**change), NAMES)) == [field]

    def test_the_confirmation_lists_everything_it_lacks(self):
        campaign = CampaignFactory.build(opt_in_message="Welcome to Bayview Realty texts!")
        assert check_campaign(campaign, NAMES) == [
            Problem(
                "opt_in_message",
                'The opt-in confirmation must include the message frequency (e.g. "Msg '
                'frequency varies"), "Msg & data rates may apply", how to get help (HELP) '
                "and how to opt out (STOP).",
            )
        ]


@pytest.mark.django_db
class CheckRegistrationTests:
    def test_a_complete_registration_passes(self):
        brand = BrandFactory()
        assert check_registration(brand, CampaignFactory(brokerage=brand.brokerage)) == []

    def test_samples_must_name_this_brand(self):
        """A campaign written for another brokerage fails this brand's checks."""
        brand = BrandFactory(
            brokerage=BrokerageFactory(name="Harbor Homes"), legal_name="Harbor Homes Inc."
        )
        campaign = CampaignFactory(brokerage=brand.brokerage)
        assert "message_samples" in fields_of(check_registration(brand, campaign))

    def test_the_opt_in_request_this_product_sends_passes(self):
        brand = BrandFactory()
        assert checks.optin_request_problems(brand.brokerage, brand.names) == []
