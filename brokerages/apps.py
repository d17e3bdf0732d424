from django.apps import AppConfig


class BrokeragesConfig(AppConfig):
    name = "brokerages"
    verbose_name = "Brokerages and agents"
