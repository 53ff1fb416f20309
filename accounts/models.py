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
    """One consent a person gave (or withdrew), with the notice version they saw."""

    class Purpose(models.TextChoices):
        PRIVACY_NOTICE = "privacy_notice", "Privacy notice"
        PARTY_SUPPORT = "party_support", "Holding my relationship to the Labour Party"
        NEWS = "news", "News and call-outs from the network"
        SHARE_WITH_CAMPAIGN = "share_with_campaign", "Sharing my contact details with one campaign"

    class Method(models.TextChoices):
        SIGNUP_FORM = "signup_form", "Signup form"
        PROFILE_PAGE = "profile_page", "Profile page"
        OFFER_LINK = "offer_link", "Accepting an offer by its link"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
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
