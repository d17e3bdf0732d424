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
