from django.conf import settings
from django.db import models
from django.db.models import Q


class SkillArea(models.TextChoices):
    SOCIAL_MEDIA = "social_media", "Social media and marketing"
    DATA = "data", "Data and analytics"
    ENGINEERING = "engineering", "Engineering: websites and landing pages"
    VIDEO = "video", "Video"


class SkillLevel(models.IntegerChoices):
    SOME_EXPERIENCE = 1, "Some experience"
    PROFESSIONAL = 2, "Professional"
    EXPERT = 3, "Expert"


class WorkMode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    REMOTE = "remote", "Remotely"
    BOTH = "both", "In person or remotely"


class PartyRelationship(models.TextChoices):
    MEMBER = "member", "Member"
    SUPPORTER = "supporter", "Supporter"
    VOTER = "voter", "Voter"


class VolunteerQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_paused=False, anonymised_at__isnull=True)

    def with_verified_email(self):
        from allauth.account.models import EmailAddress

        verified = EmailAddress.objects.filter(user=models.OuterRef("user"), verified=True)
        return self.filter(models.Exists(verified))

    def matchable(self):
        """Volunteers who may be suggested for work: not paused, not erased, email verified."""
        return self.active().with_verified_email()


class Volunteer(models.Model):
    """A person offering their tech skills to campaigns."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="volunteer"
    )
    full_name = models.CharField(max_length=150)

    postcode = models.CharField(max_length=10, help_text="Stored in capitals with one space, such as B1 1AY.")
    grid = models.CharField(
        max_length=2, blank=True, help_text="gb for the British National Grid; empty when the postcode has no location."
    )
    easting = models.IntegerField(null=True, blank=True, help_text="Metres east on the British National Grid.")
    northing = models.IntegerField(null=True, blank=True, help_text="Metres north on the British National Grid.")
    local_authority_code = models.CharField(max_length=9, blank=True)

    work_mode = models.CharField("how they help", max_length=16, choices=WorkMode.choices)
    travel_radius_miles = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How far they will travel for work in person, in miles."
    )
    hours_per_week = models.PositiveSmallIntegerField(help_text="Hours a week they can give.")
    available_from = models.DateField()
    available_until = models.DateField(null=True, blank=True, help_text="Empty when there is no end date.")
    bio = models.TextField("short bio", max_length=1000, blank=True)
    party_relationship = models.CharField(
        "relationship to the Labour Party",
        max_length=16,
        choices=PartyRelationship.choices,
        blank=True,
        help_text="Held only with explicit consent. Never used in matching.",
    )
    max_active_matches = models.PositiveSmallIntegerField(
        "maximum campaigns at once", default=1, help_text="Campaigns this volunteer will help at the same time."
    )
    is_paused = models.BooleanField(
        "paused", default=False, help_text="A paused volunteer is never suggested for new work."
    )
    # A day number (date.toordinal()) rather than a date, because ranking does
    # arithmetic on it in SQL and date arithmetic differs between SQLite and PostgreSQL.
    last_matched_day = models.IntegerField(
        null=True, blank=True, help_text="Day number of the last approved match, for the fairness part of the score."
    )
    anonymised_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When an organiser imported this volunteer from a spreadsheet; empty if they signed up themselves.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VolunteerQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Serves the bounding-box prefilter of in-person ranking.
            models.Index(fields=["easting", "northing"], name="volunteer_grid_idx"),
            # Serves the admin's list of volunteers, newest first (read backwards), and the signups per week.
            models.Index(fields=["created_at", "id"], name="volunteer_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(available_until__isnull=True) | Q(available_until__gte=models.F("available_from")),
                name="volunteer_available_until_after_from",
            ),
            models.CheckConstraint(condition=Q(hours_per_week__gte=1), name="volunteer_hours_positive"),
            models.CheckConstraint(condition=Q(max_active_matches__gte=1), name="volunteer_max_matches_positive"),
        ]

    def __str__(self):
        # No name: the admin copies this into its log, which outlives erasure.
        return f"Volunteer #{self.pk}"

    @property
    def works_in_person(self) -> bool:
        return self.work_mode in {WorkMode.IN_PERSON, WorkMode.BOTH}

    @property
    def works_remotely(self) -> bool:
        return self.work_mode in {WorkMode.REMOTE, WorkMode.BOTH}


class VolunteerSkill(models.Model):
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="skills")
    area = models.CharField(max_length=16, choices=SkillArea.choices)
    level = models.PositiveSmallIntegerField(choices=SkillLevel.choices)

    class Meta:
        ordering = ["area"]
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "area"], name="volunteer_skill_unique_area"),
        ]
        indexes = [
            # Serves the ranking's join from a requested skill area to its volunteers.
            models.Index(fields=["area", "volunteer"], name="volunteer_skill_area_idx"),
        ]

    def __str__(self):
        return f"{self.get_area_display()} ({self.get_level_display()})"


class VolunteerLink(models.Model):
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="links")
    url = models.URLField("link", max_length=300)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"Link #{self.pk}"


class DataTransfer(models.Model):
    """An import or export of people's details through the admin, kept as an audit record.

    It holds who, what and how many rows, never the rows themselves or the
    filters used, since a search term can be a person's name.
    """

    class Kind(models.TextChoices):
        VOLUNTEER_EXPORT = "volunteer_export", "Volunteers exported as CSV"
        HELP_REQUEST_EXPORT = "help_request_export", "Help requests exported as CSV"
        MATCH_EXPORT = "match_export", "Matches exported as CSV"
        VOLUNTEER_IMPORT = "volunteer_import", "Volunteers imported from a spreadsheet"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    row_count = models.PositiveIntegerField(help_text="Rows written to the file, or volunteers created.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "import or export"
        verbose_name_plural = "imports and exports"
        permissions = [
            ("export_volunteers", "Can export volunteers as CSV"),
            ("export_help_requests", "Can export help requests as CSV"),
            ("export_matches", "Can export matches as CSV"),
            ("import_volunteers", "Can import volunteers from a spreadsheet"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"
