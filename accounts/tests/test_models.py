"""Model descriptions hold no personal data: the admin copies them into its log, which outlives erasure."""

import pytest
from allauth.account.models import EmailAddress

from accounts.consents import record_consent
from accounts.models import Consent, PrivacyAuditEntry, SignedInSession
from candidates.tests.factories import CandidateFactory, HelpRequestFactory
from matching.models import MatchEvent, OutgoingEmail
from matching.tests.factories import MatchFactory
from volunteers.models import VolunteerLink
from volunteers.tests.factories import VolunteerFactory

NAME = "Chidi Okonkwo-Ní Bhriain"
EMAIL = "chidi.private@example.org"


@pytest.mark.django_db
def test_no_description_names_the_person():
    volunteer = VolunteerFactory(full_name=NAME, user__email=EMAIL, bio=NAME, skills={"video": 2})
    candidate = CandidateFactory(full_name=NAME, contact_name=NAME)
    match = MatchFactory(volunteer=volunteer, help_request=HelpRequestFactory(candidate=candidate))
    rows = [
        volunteer,
        volunteer.user,
        volunteer.skills.get(),
        VolunteerLink.objects.create(volunteer=volunteer, url="https://example.org/chidi"),
        candidate,
        match.help_request,
        match,
        record_consent(user=volunteer.user, purpose=Consent.Purpose.NEWS, method=Consent.Method.SIGNUP_FORM),
        MatchEvent.objects.create(match=match, action="match.note", note=NAME),
        OutgoingEmail.objects.create(match=match, kind=OutgoingEmail.Kind.OFFER, last_error=EMAIL),
        SignedInSession.objects.create(user=volunteer.user, session_key="k" * 32),
        PrivacyAuditEntry.objects.create(action="export", requested_by="person", subject_user_id=volunteer.user.pk),
    ]

    for row in rows:
        description = str(row)
        for secret in ("Chidi", "Okonkwo", EMAIL, "B1 1AY", "example.org/chidi"):
            assert secret not in description, f"{type(row).__name__}: {description}"


@pytest.mark.django_db
def test_allauth_email_address_is_described_by_the_address():
    """Why erasure rewrites admin log entries: allauth's own rows are described by the address itself."""
    volunteer = VolunteerFactory(user__email=EMAIL)

    assert str(EmailAddress.objects.get(user=volunteer.user)) == EMAIL
