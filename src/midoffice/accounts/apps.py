from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "midoffice.accounts"
    label = "accounts"
    verbose_name = "Medewerkers en teams"
