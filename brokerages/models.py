"""Brokerages and the people who work in them (agents and brokerage admins)."""

from django.contrib.auth.models import AbstractUser
from django.db import models

from clientbay.models import TimeStampedModel


class Brokerage(TimeStampedModel):
    name = models.CharField(max_length=200)
    phone = models.CharField(
        max_length=20, blank=True, help_text="Office number, given in HELP replies."
    )
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Agent(AbstractUser):
    """A person who logs in: an agent who texts, or an admin of a brokerage."""

    class Role(models.TextChoices):
        AGENT = "agent", "Agent"
        ADMIN = "admin", "Brokerage admin"

    brokerage = models.ForeignKey(
        Brokerage, on_delete=models.PROTECT, null=True, blank=True, related_name="agents"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    phone = models.CharField(
        max_length=20, blank=True, help_text="Where contacts can reach the agent."
    )

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_brokerage_admin(self) -> bool:
        return self.role == self.Role.ADMIN and self.brokerage_id is not None
