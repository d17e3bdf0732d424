from django.apps import AppConfig


class OptinConfig(AppConfig):
    name = "optin"
    verbose_name = "Consent and opt-in"
