"""Factories for matches between volunteers and help requests."""

import factory

from candidates.tests.factories import HelpRequestFactory
from matching.models import Match
from volunteers.tests.factories import VolunteerFactory


class MatchFactory(factory.django.DjangoModelFactory):
    """A first-ranked suggestion of a volunteer in the same postcode, so 0 miles away."""

    volunteer = factory.SubFactory(VolunteerFactory)
    help_request = factory.SubFactory(HelpRequestFactory)
    status = Match.Status.SUGGESTED
    rank = 1
    distance_miles = 0.0

    class Meta:
        model = Match
