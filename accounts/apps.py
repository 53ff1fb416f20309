from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _grant_organiser_permissions(sender, **kwargs):
    from django.contrib.auth.models import Group, Permission

    from .roles import grant_organiser_permissions

    grant_organiser_permissions(Group, Permission)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and consents"

    def ready(self):
        from . import checks, signals  # noqa: F401

        # A permission listed in accounts.roles whose model arrives in a later
        # migration of another app is granted here, once that migration has run.
        # It runs after each app's post_migrate, because permissions are created
        # app by app in the same signal.
        post_migrate.connect(_grant_organiser_permissions, dispatch_uid="accounts.grant_organiser_permissions")
