from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, When
from django.db.models.functions import Least
from django.utils import timezone

from volunteers.models import SkillArea


class ElectionQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(is_confirmed=True)

    def upcoming(self, today=None):
        """Ballots whose polling day is today or later."""
        return self.filter(polling_day__gte=today or timezone.localdate())

    def due_to_close(self, today=None):
        """Ballots whose polling day has passed and whose requests have not been closed yet."""
        return self.filter(polling_day__lt=today or timezone.localdate(), closed_at__isnull=True)


class Election(models.Model):
    """One ballot: a ward of a council on a polling day. Several candidates may stand in it.

    The ballot is named by Democracy Club's identifier (see `candidates.elections`),
    and its key dates are those of the legal timetable for its type and country.
    """

    class Type(models.TextChoices):
        LOCAL = "local", "Local"
        MAYORAL = "mayor", "Mayoral"
        SENEDD = "senedd", "Senedd"
        SCOTTISH_PARLIAMENT = "sp", "Scottish Parliament"
        LONDON_ASSEMBLY = "gla", "London Assembly"
        UK_PARLIAMENT = "parl", "UK Parliament"
        POLICE_AND_CRIME_COMMISSIONER = "pcc", "Police and crime commissioner"

    class Subtype(models.TextChoices):
        CONSTITUENCY = "c", "Constituency"
        REGION = "r", "Region"
        ADDITIONAL = "a", "London-wide members"

    class Country(models.TextChoices):
        ENGLAND = "england", "England"
        WALES = "wales", "Wales"
        SCOTLAND = "scotland", "Scotland"

    class Source(models.TextChoices):
        DEMOCRACY_CLUB = "democracy_club", "Democracy Club candidates file"
        BALLOTS_FILE = "ballots_file", "Ballots file"
        CANDIDATE = "candidate", "Named by a candidate"
        ORGANISER = "organiser", "Added by an organiser"

    election_type = models.CharField("type", max_length=8, choices=Type.choices, default=Type.LOCAL)
    subtype = models.CharField(
        max_length=1,
        choices=Subtype.choices,
        blank=True,
        help_text="For Scottish Parliament, Senedd and London Assembly ballots only.",
    )
    council = models.CharField(
        "organisation",
        max_length=150,
        help_text="The council or other body holding the election, such as Birmingham City Council.",
    )
    ward = models.CharField(
        "division",
        max_length=150,
        blank=True,
        help_text="The ward, division or constituency. Empty for a ballot across a whole area, such as a mayor's.",
    )
    polling_day = models.DateField()
    is_by_election = models.BooleanField("by-election", default=False)
    country = models.CharField(
        max_length=8,
        choices=Country.choices,
        default=Country.ENGLAND,
        help_text="Decides which legal timetable and bank holidays apply.",
    )
    ballot_id = models.CharField(
        "ballot identifier",
        max_length=200,
        unique=True,
        help_text="Democracy Club's identifier, such as local.birmingham.acocks-green.2026-05-07.",
    )
    seats_contested = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Councillors elected in this ballot: more than one in a multi-member ward."
    )
    is_confirmed = models.BooleanField(
        "confirmed",
        default=True,
        help_text="A ballot named by a candidate is unconfirmed until an organiser checks it. "
        "Only confirmed ballots are offered in the search.",
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.ORGANISER)

    close_of_nominations = models.DateField(null=True, blank=True, editable=False)
    sopn_publish_deadline = models.DateField("statement of persons nominated", null=True, blank=True, editable=False)
    registration_deadline = models.DateField(null=True, blank=True, editable=False)
    postal_vote_deadline = models.DateField("postal vote application deadline", null=True, blank=True, editable=False)
    is_target_seat = models.BooleanField(
        "target seat",
        default=False,
        help_text="A seat the party is fighting hard for: its requests come first in every organiser's list.",
    )
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the requests of this ballot were closed after polling day."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ElectionQuerySet.as_manager()

    class Meta:
        ordering = ["polling_day", "council", "ward"]
        indexes = [
            # Serves the beat task that closes ballots after polling day.
            models.Index(fields=["polling_day", "closed_at"], name="election_polling_day_idx"),
        ]

    def __str__(self):
        return self.ballot_id or f"{self.council}, {self.ward} ({self.polling_day:%-d %B %Y})"

    def save(self, *args, **kwargs):
        # The key dates are stored so that lists can sort requests by urgency in SQL.
        if self.ballot_id:
            self.refresh_key_dates()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = set(update_fields) | set(KEY_DATE_FIELDS)
        super().save(*args, **kwargs)

    @property
    def place(self) -> str:
        """The ward, or the council for a ballot across a whole area, for sentences such as "a campaign in …"."""
        return self.ward or self.council

    @property
    def name(self) -> str:
        """The ballot in words, such as "Birmingham, Acocks Green (by-election)"."""
        parts = [part for part in (self.council, self.ward) if part]
        if self.election_type != self.Type.LOCAL:
            parts.insert(0, self.get_election_type_display())
        text = ", ".join(parts)
        return f"{text} (by-election)" if self.is_by_election else text

    def compute_timetable(self):
        from .elections import timetable

        return timetable(ballot_id=self.ballot_id, country=self.country, polling_day=self.polling_day)

    @property
    def timetable(self):
        """The stored key dates as a `candidates.elections.Timetable`, or None before they are computed."""
        from .elections import Timetable

        if self.close_of_nominations is None:
            return None
        return Timetable(
            close_of_nominations=self.close_of_nominations,
            sopn_publish_deadline=self.sopn_publish_deadline,
            registration_deadline=self.registration_deadline,
            postal_vote_application_deadline=self.postal_vote_deadline,
            polling_day=self.polling_day,
        )

    def refresh_key_dates(self) -> None:
        """Recompute the key dates from the ballot identifier, country and polling day."""
        schedule = self.compute_timetable()
        self.close_of_nominations = schedule.close_of_nominations
        self.sopn_publish_deadline = schedule.sopn_publish_deadline
        self.registration_deadline = schedule.registration_deadline
        self.postal_vote_deadline = schedule.postal_vote_application_deadline


KEY_DATE_FIELDS = ["close_of_nominations", "sopn_publish_deadline", "registration_deadline", "postal_vote_deadline"]


class Candidate(models.Model):
    """A campaign asking for help, represented by the candidate or someone acting for them."""

    class Role(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        AGENT = "agent", "Election agent"
        ORGANISER = "campaign_organiser", "Campaign organiser"

    class Result(models.TextChoices):
        WON = "won", "Won"
        LOST = "lost", "Lost"

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

    postcode = models.CharField(
        "campaign postcode",
        max_length=10,
        blank=True,
        help_text="Empty for an imported candidate who has not signed up.",
    )
    grid = models.CharField(max_length=2, blank=True)
    easting = models.IntegerField(null=True, blank=True, help_text="Metres east on the British National Grid.")
    northing = models.IntegerField(null=True, blank=True, help_text="Metres north on the British National Grid.")
    local_authority_code = models.CharField(max_length=9, blank=True)

    democracy_club_person_id = models.PositiveIntegerField(
        "Democracy Club person id", null=True, blank=True, help_text="For a candidate imported from Democracy Club."
    )
    invitation_email = models.EmailField(
        blank=True,
        help_text="Where to send an imported candidate's invitation to ask for help: "
        "the public address from Democracy Club, or one an organiser was given.",
    )
    invited_at = models.DateTimeField(null=True, blank=True, help_text="When an organiser last sent an invitation.")
    invitation_sent_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(
        "election result",
        max_length=8,
        choices=Result.choices,
        blank=True,
        help_text="From Democracy Club's results file or the campaign, after polling day.",
    )

    anonymised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "democracy_club_person_id"],
                condition=Q(democracy_club_person_id__isnull=False),
                name="candidate_unique_person_per_ballot",
            ),
        ]

    def __str__(self):
        return f"Candidate #{self.pk}"

    @property
    def is_imported(self) -> bool:
        return self.democracy_club_person_id is not None

    @property
    def first_name(self) -> str:
        return self.full_name.split()[0] if self.full_name.strip() else ""


class HelpRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=HelpRequest.Status.OPEN)

    def waiting(self):
        """Requests without a volunteer yet: open, or offered and waiting for the volunteer's answer."""
        return self.filter(status__in=[HelpRequest.Status.OPEN, HelpRequest.Status.OFFERED])

    def with_urgency(self, today=None):
        """Annotate `urgency_date`: the earlier of the needed-by date and the ballot's next key date from today."""
        today = today or timezone.localdate()
        needed_by = F("needed_by")
        upcoming_key_dates = [
            Case(
                When(**{f"candidate__election__{name}__gte": today}, then=F(f"candidate__election__{name}")),
                default=needed_by,
                output_field=models.DateField(),
            )
            for name in [*KEY_DATE_FIELDS, "polling_day"]
        ]
        return self.annotate(urgency_date=Least(needed_by, *upcoming_key_dates, output_field=models.DateField()))

    def by_urgency(self, today=None):
        """Target seats first, then most urgent first: see `with_urgency`."""
        return self.with_urgency(today).order_by(
            "-candidate__election__is_target_seat", "urgency_date", "needed_by", "id"
        )


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

    @property
    def urgency_days(self) -> int:
        """Days left before the needed-by date or the ballot's next key date, whichever is first."""
        from .elections import urgency_date

        today = timezone.localdate()
        urgency = getattr(self, "urgency_date", None)
        if urgency is None:
            urgency = urgency_date(needed_by=self.needed_by, schedule=self.candidate.election.timetable, today=today)
        return (urgency - today).days


class UrgentHelpRequest(HelpRequest):
    """Help requests still waiting for a volunteer, most urgent first, for organisers' lists."""

    class Meta:
        proxy = True
        verbose_name = "request by urgency"
        verbose_name_plural = "requests by urgency"


class CallOut(models.Model):
    """A one-off email to volunteers with a skill near a campaign (or remote), for a request nobody suits."""

    help_request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="callouts")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    radius_miles = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Volunteers who work in person within this many miles. Empty for none."
    )
    include_remote = models.BooleanField("remote volunteers too", default=False)
    message = models.TextField(
        "message from the organiser",
        max_length=1000,
        blank=True,
        help_text="Added to the email. Up to 1,000 characters.",
    )
    recipient_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "call-out"
        constraints = [
            models.CheckConstraint(
                condition=Q(radius_miles__isnull=False) | Q(include_remote=True), name="callout_reaches_someone"
            ),
        ]

    def __str__(self):
        return f"Call-out #{self.pk}"


class CallOutRecipient(models.Model):
    """One volunteer sent a call-out: the log that keeps each volunteer to one call-out a week."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    callout = models.ForeignKey(CallOut, on_delete=models.CASCADE, related_name="recipients")
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="callouts_received",
        help_text="Empty once the volunteer's personal data is erased.",
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True, help_text="When the volunteer said they could help.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["callout", "id"]
        verbose_name = "call-out recipient"
        constraints = [
            models.UniqueConstraint(fields=["callout", "volunteer"], name="callout_recipient_unique_volunteer"),
        ]
        indexes = [
            # Serves the once-a-week check: this volunteer's call-outs since a week ago.
            models.Index(fields=["volunteer", "created_at"], name="callout_recipient_recent_idx"),
        ]

    def __str__(self):
        return f"Call-out recipient #{self.pk}"
