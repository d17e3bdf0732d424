"""Production settings plus one bare view to compare the webhook against."""

from clientbay.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
