"""The texts the product sends by itself name the agent and brokerage."""

import pytest

from optin import texts
from tests.factories import AgentFactory


@pytest.fixture
def agent(db):
    return AgentFactory(
        first_name="Dana", last_name="Reyes", phone="+12025550198", brokerage__name="Harbor Realty"
    )


class AutoTextTests:
    def test_help_names_agent_brokerage_how_to_reach_them_and_how_to_stop(self, agent):
        text = texts.help_reply(agent=agent, brokerage=agent.brokerage)

        assert text.startswith("Dana Reyes of Harbor Realty")
        assert "call +12025550198" in text
        assert "Reply STOP to opt out" in text

    def test_help_for_a_number_without_an_agent_names_the_brokerage(self, agent):
        text = texts.help_reply(agent=None, brokerage=agent.brokerage)

        assert text.startswith("Harbor Realty:")
        assert f"call {agent.brokerage.phone}" in text

    def test_opt_in_request_has_who_yes_no_rates_frequency_and_help(self, agent):
        text = texts.optin_request(agent=agent, brokerage=agent.brokerage)

        for words in ("Dana Reyes of Harbor Realty", "Reply YES", "NO to opt out"):
            assert words in text
        for words in ("Msg & data rates may apply", "Msg frequency varies", "HELP"):
            assert words in text

    def test_opt_in_confirmation_has_who_rates_frequency_help_and_stop(self, agent):
        text = texts.optin_confirmation(agent=agent, brokerage=agent.brokerage)

        for words in ("Harbor Realty", "Msg & data rates", "frequency", "HELP", "STOP"):
            assert words in text

    def test_opt_out_confirmation_says_no_more_texts_and_how_to_come_back(self, agent):
        text = texts.optout_confirmation(agent=agent, brokerage=agent.brokerage)

        assert "no more texts" in text
        assert "Reply START to opt back in" in text
        assert "http" not in text and "HELP" not in text
