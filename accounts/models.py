from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower


class UserManager(BaseUserManager):
    """Manager for a user model whose login is the email address."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in: volunteer, candidate or agent, or organiser."""

    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            # PostgreSQL compares text case-sensitively, so uniqueness must be on the lower-cased address.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        permissions = [
            ("export_personal_data", "Can export everything held about a person"),
            ("erase_personal_data", "Can erase a person's personal data"),
        ]

    def __str__(self):
        # No name or email: the admin copies this into its log, which outlives erasure.
        return f"User #{self.pk}"

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


def user_display(user) -> str:
    """How allauth names a person on pages and in emails: by their email address."""
    return user.email


class Consent(models.Model):
    """One consent a person gave (or withdrew), with the notice version they saw.

    Rows outlive the person: erasure sets `user` to empty and keeps purpose,
    version, method and time, which identify nobody but still show how and
    under which notice consent was collected.
    """

    class Purpose(models.TextChoices):
        PRIVACY_NOTICE = "privacy_notice", "Privacy notice"
        PARTY_SUPPORT = "party_support", "Holding my relationship to the Labour Party"
        NEWS = "news", "News and call-outs from the network"
        SHARE_WITH_CAMPAIGN = "share_with_campaign", "Sharing my contact details with one campaign"

    class Method(models.TextChoices):
        SIGNUP_FORM = "signup_form", "Signup form"
        PROFILE_PAGE = "profile_page", "Profile page"
        OFFER_LINK = "offer_link", "Accepting an offer by its link"
        NOTICE_UPDATE = "notice_update", "Asked again after the privacy notice changed"

    user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consents",
        help_text="Empty once the person's account is erased.",
    )
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    notice_version = models.CharField(max_length=32)
    given = models.BooleanField(default=True, help_text="False records a withdrawal.")
    method = models.CharField(max_length=32, choices=Method.choices)
    match = models.ForeignKey(
        "matching.Match",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="For consent to share contact details: the match whose campaign may see them.",
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            # Serves "the latest consent of this user for this purpose".
            models.Index(fields=["user", "purpose", "-recorded_at"], name="consent_latest_idx"),
        ]

    def __str__(self):
        verb = "given" if self.given else "withdrawn"
        return f"Consent #{self.pk} ({self.get_purpose_display()}, {verb})"


class SignedInSession(models.Model):
    """A session in which a person signed in, so that all of them can be ended at once.

    Django finds a session only by its key, so without this index ending "every
    other session of this person" would mean decoding every session row.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Session #{self.pk}"


class PrivacyAuditEntry(models.Model):
    """One export or erasure of a person's data: who did it, when, and to what.

    CSV exports of many people are recorded separately, as volunteers.DataTransfer rows.

    The person concerned is stored as a bare user id rather than a foreign key,
    so that the entry survives their erasure without naming them.
    """

    class Action(models.TextChoices):
        EXPORT = "export", "Export of everything held about a person"
        ERASURE = "erasure", "Erasure of a person's personal data"
        RETENTION = "retention", "Anonymisation at the end of the retention period"

    class RequestedBy(models.TextChoices):
        PERSON = "person", "The person themselves, signed in"
        ORGANISER = "organiser", "An organiser, in the admin"
        SCHEDULE = "schedule", "The retention schedule"

    action = models.CharField(max_length=16, choices=Action.choices)
    requested_by = models.CharField(max_length=16, choices=RequestedBy.choices)
    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who ran it. Empty for the retention schedule, or once that account is erased.",
    )
    subject_user_id = models.BigIntegerField(null=True, blank=True, help_text="Id of the account the data was about.")
    target = models.CharField(
        max_length=200, blank=True, help_text="What was exported or erased, such as “Volunteer #12” or a model name."
    )
    row_count = models.PositiveIntegerField(null=True, blank=True, help_text="Rows exported or erased.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "privacy audit entries"
        indexes = [
            # Serves the export's list of data requests about one person.
            models.Index(fields=["subject_user_id", "-created_at"], name="privacy_audit_subject_idx"),
        ]

    def __str__(self):
        return f"Privacy audit entry #{self.pk} ({self.get_action_display()})"
