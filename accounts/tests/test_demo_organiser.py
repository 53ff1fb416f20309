"""The demo organiser has two-factor authentication, and the demo command prints how to pass it."""

from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from accounts.tests.helpers import sign_in, totp_code
from techforlabour import demo


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo_data", "--force", "--volunteers", "2", "--candidates", "1", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_organiser_signs_in_with_the_printed_key(client):
    output = load()
    organiser = User.objects.get(email=demo.ORGANISER_EMAIL)

    assert demo.DEMO_ORGANISER_TOTP_SECRET in output
    assert f"otpauth://totp/organiser%40example.org?secret={demo.DEMO_ORGANISER_TOTP_SECRET}" in output
    sign_in(
        client,
        organiser,
        password=demo.DEFAULT_ORGANISER_PASSWORD,
        code=totp_code(demo.DEMO_ORGANISER_TOTP_SECRET),
    )
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
def test_printed_recovery_code_opens_the_admin(client):
    output = load()
    recovery_line = next(line for line in output.splitlines() if "recovery codes" in line)
    first_code = recovery_line.rsplit(":", 1)[1].split(",")[0].strip()

    sign_in(
        client, User.objects.get(email=demo.ORGANISER_EMAIL), password=demo.DEFAULT_ORGANISER_PASSWORD, code=first_code
    )

    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
def test_earlier_demo_organiser_gets_two_factor():
    User.objects.create_superuser(demo.ORGANISER_EMAIL, demo.DEFAULT_ORGANISER_PASSWORD)

    load()

    kinds = set(Authenticator.objects.filter(user__email=demo.ORGANISER_EMAIL).values_list("type", flat=True))
    assert kinds == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}


@pytest.mark.django_db
def test_dry_run_writes_no_authenticator():
    User.objects.create_superuser(demo.ORGANISER_EMAIL, demo.DEFAULT_ORGANISER_PASSWORD)

    load("--dry-run")

    assert not Authenticator.objects.exists()
