"""Create the Organisers group with the admin permissions organisers need."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from accounts.roles import ORGANISER_PERMISSIONS, ORGANISERS_GROUP, grant_organiser_permissions


def create_organisers_group(apps, schema_editor):
    # Permissions are normally created by post_migrate, after every migration
    # has run, so on a fresh database they do not exist yet at this point.
    for app_label in ORGANISER_PERMISSIONS:
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    grant_organiser_permissions(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_organisers_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=ORGANISERS_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_privacy_records"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("candidates", "0001_initial"),
        ("matching", "0002_match_lifecycle"),
        ("volunteers", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_organisers_group, remove_organisers_group)]
