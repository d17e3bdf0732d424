import pytest
from django.core.management import call_command

from registration.checks import check_registration
from registration.models import Brand, Campaign


@pytest.mark.django_db
class SeedDemoRegistrationTests:
    def test_the_demo_registration_is_a_draft_that_passes_every_check(self, settings):
        settings.REGISTRATION_REQUIRED_TO_SEND = True  # the seed must not depend on it

        call_command("seed_demo")
        call_command("seed_demo")

        brand = Brand.objects.get()
        campaign = Campaign.objects.get()
        assert (brand.status, campaign.status) == ("draft", "draft")
        assert brand.brokerage.name == "Bayview Realty"
        assert check_registration(brand, campaign) == []

    def test_a_second_run_says_what_became_of_the_registration(self, capsys):
        call_command("seed_demo")
        assert "Registration: a complete draft" in capsys.readouterr().out
        Campaign.objects.update(status="in_review")

        call_command("seed_demo")

        out = capsys.readouterr().out
        assert "Registration: in review" in out
        assert "draft" not in out
        assert Campaign.objects.get().status == "in_review"
