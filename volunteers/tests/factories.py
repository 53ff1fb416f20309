"""
Factories for accounts and volunteers.

Every person is at a real Birmingham postcode with its true grid reference, so
distances computed in tests match the postcode directory. Dates are relative to
today in the project's time zone, so the rows stay valid whenever the tests run.
"""

from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import User
from volunteers.models import Volunteer, VolunteerSkill, WorkMode

FAKER_LOCALE = "en_GB"
DEFAULT_PASSWORD = "correct-horse-battery-staple"

# B1 1AY in the ONS Postcode Directory (November 2025): central Birmingham.
BIRMINGHAM_POSTCODE = "B1 1AY"
BIRMINGHAM_EASTING = 406523
BIRMINGHAM_NORTHING = 286448
BIRMINGHAM_CODE = "E08000025"


class UserFactory(factory.django.DjangoModelFactory):
    """An account whose email address is verified unless `verified=False` is passed."""

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    password = factory.django.Password(DEFAULT_PASSWORD)
    first_name = factory.Faker("first_name", locale=FAKER_LOCALE)

    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        organiser = factory.Trait(is_staff=True)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        # allauth keeps verification on its own EmailAddress row, and matching
        # only suggests volunteers who have a verified one.
        if not create:
            return
        is_verified = True if extracted is None else bool(extracted)
        EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=is_verified)


class VolunteerFactory(factory.django.DjangoModelFactory):
    """A volunteer offering professional engineering, or the skills given as `skills={area: level}`."""

    user = factory.SubFactory(UserFactory)
    full_name = factory.Faker("name", locale=FAKER_LOCALE)
    postcode = BIRMINGHAM_POSTCODE
    grid = "gb"
    easting = BIRMINGHAM_EASTING
    northing = BIRMINGHAM_NORTHING
    local_authority_code = BIRMINGHAM_CODE
    work_mode = WorkMode.BOTH
    travel_radius_miles = 10
    hours_per_week = 5
    available_from = factory.LazyFunction(timezone.localdate)
    available_until = None
    max_active_matches = 1

    class Meta:
        model = Volunteer
        skip_postgeneration_save = True

    @factory.post_generation
    def skills(self, create, extracted, **kwargs):
        if not create:
            return
        levels = {"engineering": 2} if extracted is None else extracted
        # One save each, so the signals that keep the ranking rows in step run as they do in the admin.
        for area, level in levels.items():
            VolunteerSkill.objects.create(volunteer=self, area=area, level=level)


class VolunteerSkillFactory(factory.django.DjangoModelFactory):
    volunteer = factory.SubFactory(VolunteerFactory, skills={})
    area = "data"
    level = 2

    class Meta:
        model = VolunteerSkill


def days_from_today(days: int):
    """Return a lazy date `days` after today, evaluated when each row is built."""
    return factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=days))
