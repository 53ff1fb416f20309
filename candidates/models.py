from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from volunteers.models import SkillArea


class Election(models.Model):
    """One ballot: a ward of a council on a polling day. Several candidates may stand in it."""

    council = models.CharField(max_length=150)
    ward = models.CharField(max_length=150)
    polling_day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["polling_day", "council", "ward"]
        constraints = [
            models.UniqueConstraint(Lower("council"), Lower("ward"), "polling_day", name="election_unique_ballot_ci"),
        ]

    def __str__(self):
        return f"{self.council}, {self.ward} ({self.polling_day:%-d %B %Y})"


class Candidate(models.Model):
    """A campaign asking for help, represented by the candidate or someone acting for them."""

    class Role(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        AGENT = "agent", "Election agent"
        ORGANISER = "campaign_organiser", "Campaign organiser"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="candidate"
    )
    full_name = models.CharField("candidate's name", max_length=150)
    contact_name = models.CharField(
        "your name", max_length=150, blank=True, help_text="The person asking, when they are not the candidate."
    )
    role = models.CharField("your role", max_length=32, choices=Role.choices, default=Role.CANDIDATE)
    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="candidates")
    phone = models.CharField(max_length=20, blank=True)

    postcode = models.CharField("campaign postcode", max_length=10)
    grid = models.CharField(max_length=2, blank=True)
    easting = models.IntegerField(null=True, blank=True, help_text="Metres east on the British National Grid.")
    northing = models.IntegerField(null=True, blank=True, help_text="Metres north on the British National Grid.")
    local_authority_code = models.CharField(max_length=9, blank=True)

    anonymised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Candidate #{self.pk}"

    @property
    def first_name(self) -> str:
        return self.full_name.split()[0] if self.full_name.strip() else ""


class HelpRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=HelpRequest.Status.OPEN)


class HelpRequest(models.Model):
    """One piece of work a campaign needs done."""

    class Status(models.TextChoices):
        OPEN = "open", "Looking for a volunteer"
        OFFERED = "offered", "Waiting for a volunteer to say yes"
        MATCHED = "matched", "Volunteer introduced"
        CLOSED = "closed", "Closed"

    class WorkMode(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        REMOTE = "remote", "Remote"
        EITHER = "either", "Either"

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="help_requests")
    skill_area = models.CharField(max_length=16, choices=SkillArea.choices)
    description = models.TextField("what is needed", max_length=2000)
    estimated_hours = models.PositiveSmallIntegerField(help_text="Estimated hours a week the work needs.")
    needed_by = models.DateField(help_text="On or before polling day.")
    work_mode = models.CharField("in person or remote", max_length=16, choices=WorkMode.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    suggestions_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HelpRequestQuerySet.as_manager()

    class Meta:
        ordering = ["needed_by", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(estimated_hours__gte=1), name="help_request_hours_positive"),
        ]
        indexes = [
            # Serves the open-requests queue, soonest first.
            models.Index(fields=["status", "needed_by"], name="help_request_queue_idx"),
        ]

    def __str__(self):
        return f"Help request #{self.pk} ({self.get_skill_area_display()})"

    @property
    def days_until_needed(self) -> int:
        return (self.needed_by - timezone.localdate()).days
