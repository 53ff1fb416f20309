"""Signal receivers: a newly verified email address can change who is suggested."""

from allauth.account.signals import email_confirmed
from django.dispatch import receiver


@receiver(email_confirmed)
def refresh_after_email_confirmed(sender, request, email_address, **kwargs):
    from .tasks import refresh_suggestions_for_request, refresh_suggestions_for_volunteer

    user = email_address.user
    volunteer = getattr(user, "volunteer", None)
    if volunteer is not None:
        refresh_suggestions_for_volunteer.delay_on_commit(volunteer.pk)

    candidate = getattr(user, "candidate", None)
    if candidate is not None:
        for help_request_id in candidate.help_requests.open().values_list("pk", flat=True):
            refresh_suggestions_for_request.delay_on_commit(help_request_id)
