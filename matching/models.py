from django.conf import settings
from django.db import models

from candidates.models import HelpRequest
from volunteers.models import SkillArea, Volunteer, WorkMode


class MatchQuerySet(models.QuerySet):
    def suggested(self):
        return self.filter(status=Match.Status.SUGGESTED)

    def active(self):
        """Matches that take up one of the volunteer's places."""
        return self.filter(status__in=Match.ACTIVE_STATUSES)

    def shortlisted(self):
        return self.filter(status=Match.Status.SHORTLISTED).order_by("shortlist_position", "id")


class Match(models.Model):
    """A volunteer put forward for a help request, with the score parts that ranked them.

    The allowed changes of status are listed in `matching.lifecycle`, which is
    the only code that changes it.
    """

    class Status(models.TextChoices):
        SUGGESTED = "suggested", "Suggested"
        SHORTLISTED = "shortlisted", "Shortlisted, offered if the first choice says no"
        APPROVED = "approved", "Offer sent"
        ACCEPTED = "accepted", "Introduced"
        DECLINED = "declined", "Declined by the volunteer"
        LAPSED = "lapsed", "Offer lapsed"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        REJECTED = "rejected", "Rejected by an organiser"
        WITHDRAWN = "withdrawn", "Withdrawn by the volunteer"

    class DeclineReason(models.TextChoices):
        TOO_BUSY = "too_busy", "Too busy"
        NOT_MY_SKILLS = "not_my_skills", "Not my skills"
        TOO_FAR = "too_far", "Too far"
        OTHER = "other", "Other"

    class Result(models.TextChoices):
        WON = "won", "Won"
        LOST = "lost", "Lost"

    # Matches that take up one of the volunteer's places.
    ACTIVE_STATUSES = [Status.APPROVED, Status.ACCEPTED]
    # Matches that keep a volunteer from being suggested again for the same campaign.
    CLOSED_TO_VOLUNTEER_STATUSES = [Status.REJECTED, Status.DECLINED, Status.WITHDRAWN]

    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="matches",
        help_text="Empty once the volunteer's personal data is erased; the match stays for the network's counts.",
    )
    help_request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="matches")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUGGESTED)

    rank = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 is the best suggestion.")
    total_score = models.FloatField(default=0)
    skill_score = models.FloatField(default=0)
    distance_score = models.FloatField(default=0)
    availability_score = models.FloatField(default=0)
    capacity_score = models.FloatField(default=0)
    fairness_score = models.FloatField(default=0)
    distance_miles = models.FloatField(null=True, blank=True, help_text="Empty when either place has no location.")

    shortlist_position = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Order in which shortlisted volunteers are offered the work."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    introduced_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=16, choices=DeclineReason.choices, blank=True)
    result = models.CharField(
        "election result", max_length=8, choices=Result.choices, blank=True, help_text="Recorded after polling day."
    )
    feedback = models.TextField(
        "feedback on the volunteer", max_length=2000, blank=True, help_text="From the campaign, after polling day."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MatchQuerySet.as_manager()

    class Meta:
        ordering = ["help_request", "rank", "id"]
        verbose_name_plural = "matches"
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "help_request"], name="match_unique_volunteer_request"),
        ]
        indexes = [
            # Serves the capacity count of a volunteer's active matches during ranking.
            models.Index(fields=["volunteer", "status"], name="match_volunteer_status_idx"),
            # Serves a request's ranked suggestions.
            models.Index(fields=["help_request", "status", "rank"], name="match_request_rank_idx"),
            # Serves the beat task that lapses offers nobody answered.
            models.Index(fields=["status", "offer_expires_at"], name="match_offer_expiry_idx"),
        ]
        permissions = [("approve_match", "Can approve or reject suggested matches")]

    def __str__(self):
        return f"Match #{self.pk}"


class RankingRow(models.Model):
    """One narrow row per volunteer and skill, copying the details that ranking reads.

    Ranking a request reads only the rows of one skill area, with no join to the
    volunteer, their skills, their email addresses or their matches. Only
    volunteers who may be suggested (not paused, not erased, with a verified
    email address) have rows. `matching.ranking_rows` rewrites a volunteer's rows
    whenever anything copied here changes.
    """

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="ranking_rows")
    area = models.CharField(max_length=16, choices=SkillArea.choices)
    level = models.PositiveSmallIntegerField()
    work_mode = models.CharField(max_length=16, choices=WorkMode.choices)
    easting = models.IntegerField(null=True, blank=True)
    northing = models.IntegerField(null=True, blank=True)
    travel_radius_miles = models.PositiveSmallIntegerField(null=True, blank=True)
    hours_per_week = models.PositiveSmallIntegerField()
    available_from = models.DateField()
    available_until = models.DateField(null=True, blank=True)
    max_active_matches = models.PositiveSmallIntegerField()
    active_matches = models.PositiveSmallIntegerField(help_text="Approved and accepted matches.")
    last_matched_day = models.IntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "area"], name="ranking_row_unique_area"),
        ]
        indexes = [
            # Serves both the skill area filter and the square searched for in-person work.
            models.Index(fields=["area", "easting", "northing"], name="ranking_row_area_grid_idx"),
        ]

    def __str__(self):
        return f"Ranking row of volunteer #{self.volunteer_id} for {self.area}"


class MatchEvent(models.Model):
    """A change to a match: who made it, when, and why."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=64, help_text="A dotted name such as match.approved.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.action} on match #{self.match_id}"


class OutgoingEmail(models.Model):
    """
    An email to send, written in the same transaction as the change that causes it.

    The Celery task that sends it claims the row first, so a task that runs twice
    sends the email once.
    """

    class Kind(models.TextChoices):
        OFFER = "offer", "Offer to the volunteer"
        OFFER_REMINDER = "offer_reminder", "Reminder of the offer"
        OFFER_WITHDRAWN = "offer_withdrawn", "Offer withdrawn"
        INTRODUCTION_TO_VOLUNTEER = "introduction_volunteer", "Introduction to the volunteer"
        INTRODUCTION_TO_CANDIDATE = "introduction_candidate", "Introduction to the campaign"
        CHECK_IN_VOLUNTEER = "check_in_volunteer", "Check-in with the volunteer"
        CHECK_IN_CANDIDATE = "check_in_candidate", "Check-in with the campaign"
        RESULT_REQUEST = "result_request", "Request for the election result"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["match", "kind"], name="outgoing_email_unique_match_kind"),
        ]
        indexes = [
            # Serves the search for emails still waiting to be sent.
            models.Index(fields=["status", "created_at"], name="outgoing_email_status_idx"),
        ]

    def __str__(self):
        return f"Email #{self.pk} ({self.get_kind_display()})"
