"""Signal receivers: what changes who is suggested, and the ranking rows that copy it."""

from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from volunteers.models import Volunteer, VolunteerSkill

from . import ranking_rows
from .models import Match


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


# Ranking rows follow every saved or deleted record that they copy.


@receiver(post_save, sender=Volunteer)
def rebuild_rows_after_volunteer_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        ranking_rows.rebuild_now_and_after_commit([instance.pk])


@receiver(post_save, sender=VolunteerSkill)
def rebuild_rows_after_skill_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        ranking_rows.rebuild_now_and_after_commit([instance.volunteer_id])


@receiver(post_delete, sender=VolunteerSkill)
def remove_rows_after_skill_deleted(sender, instance, **kwargs):
    ranking_rows.remove_rows_without_skill(instance.volunteer_id)


@receiver(pre_save, sender=EmailAddress)
def note_owner_before_email_saved(sender, instance, raw=False, **kwargs):
    # The admin can move an address to another account, and the old owner's volunteer loses it.
    instance._previous_user_id = None
    if instance.pk is not None and not raw:
        instance._previous_user_id = (
            EmailAddress.objects.filter(pk=instance.pk).values_list("user_id", flat=True).first()
        )


@receiver(post_save, sender=EmailAddress)
def rebuild_rows_after_email_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    owners = {instance.user_id, getattr(instance, "_previous_user_id", None)}
    ranking_rows.rebuild_now_and_after_commit(
        Volunteer.objects.filter(user_id__in=owners - {None}).values_list("pk", flat=True)
    )


@receiver(pre_delete, sender=EmailAddress)
def note_volunteer_before_email_deleted(sender, instance, **kwargs):
    # When the whole account goes, Django empties volunteer.user before post_delete runs,
    # so the volunteer is found now, while the link still holds.
    instance._volunteer_ids = list(Volunteer.objects.filter(user_id=instance.user_id).values_list("pk", flat=True))


@receiver(post_delete, sender=EmailAddress)
def rebuild_rows_after_email_deleted(sender, instance, **kwargs):
    ranking_rows.rebuild_now_and_after_commit(getattr(instance, "_volunteer_ids", []))


@receiver(post_save, sender=Match)
def rebuild_rows_after_match_saved(sender, instance, created, raw=False, **kwargs):
    # A new suggestion takes no place; any other save may have changed the status.
    if raw or (created and instance.status not in Match.ACTIVE_STATUSES):
        return
    ranking_rows.rebuild_for_volunteers([instance.volunteer_id])


@receiver(post_delete, sender=Match)
def rebuild_rows_after_match_deleted(sender, instance, **kwargs):
    if instance.status in Match.ACTIVE_STATUSES:
        ranking_rows.rebuild_for_volunteers([instance.volunteer_id])
