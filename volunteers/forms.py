from allauth.account.forms import SignupForm
from django import forms
from django.core.validators import URLValidator

from matching.fields import DateInput, PostcodeField, no_location_message, positive_hours_field, today
from matching.ranking import MAX_TRAVEL_RADIUS_MILES

from .models import PartyRelationship, SkillArea, SkillLevel, WorkMode

MAX_LINKS = 5
NO_SKILL = ""


def skill_field_name(area: str) -> str:
    return f"skill_{area}"


class VolunteerProfileFields(forms.Form):
    """The profile questions, shared by signup and the profile page."""

    full_name = forms.CharField(
        label="Full name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
        error_messages={"required": "Enter your full name."},
    )
    postcode = PostcodeField(label="Postcode", help_text="Where you live or work, for example B1 1AY.")
    work_mode = forms.ChoiceField(
        label="How can you help?",
        choices=WorkMode.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how you can help."},
    )
    travel_radius_miles = forms.IntegerField(
        label="How far will you travel, in miles?",
        required=False,
        min_value=1,
        max_value=MAX_TRAVEL_RADIUS_MILES,
        help_text=f"Only for work in person. Up to {MAX_TRAVEL_RADIUS_MILES} miles.",
        error_messages={
            "invalid": "Enter the distance as a whole number of miles, like 10.",
            "min_value": "Enter at least 1 mile.",
            "max_value": f"Enter no more than {MAX_TRAVEL_RADIUS_MILES} miles.",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    hours_per_week = positive_hours_field("Hours a week you can give", "A whole number, for example 4.")
    available_from = forms.DateField(
        label="Available from",
        widget=DateInput(),
        error_messages={"required": "Enter the date you are available from.", "invalid": "Enter a real date."},
    )
    available_until = forms.DateField(
        label="Available until (optional)",
        required=False,
        widget=DateInput(),
        help_text="Leave empty if you have no end date.",
        error_messages={"invalid": "Enter a real date."},
    )
    max_active_matches = forms.IntegerField(
        label="How many campaigns could you help at once?",
        min_value=1,
        max_value=5,
        initial=1,
        error_messages={
            "invalid": "Enter a whole number from 1 to 5.",
            "min_value": "Enter at least 1.",
            "max_value": "Enter no more than 5.",
            "required": "Enter how many campaigns you could help at once.",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    bio = forms.CharField(
        label="A short bio (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you do and what you would enjoy working on. Up to 1,000 characters.",
    )
    links = forms.CharField(
        label="Links (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=f"Portfolio, LinkedIn or GitHub: one link a line, up to {MAX_LINKS}, each starting https://",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        skill_choices = [(NO_SKILL, "Not a skill of mine"), *[(str(v), label) for v, label in SkillLevel.choices]]
        for area, label in SkillArea.choices:
            self.fields[skill_field_name(area)] = forms.TypedChoiceField(
                label=label, choices=skill_choices, required=False, coerce=int, empty_value=None
            )
        if not self.is_bound and "available_from" not in self.initial:
            self.initial["available_from"] = today()

    def clean_links(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["links"].splitlines() if line.strip()]
        if len(lines) > MAX_LINKS:
            raise forms.ValidationError(f"Enter no more than {MAX_LINKS} links.")
        validate_url = URLValidator(schemes=["http", "https"])
        for line in lines:
            if len(line) > 300:
                raise forms.ValidationError("Each link must be 300 characters or fewer.")
            try:
                validate_url(line)
            except forms.ValidationError:
                raise forms.ValidationError(
                    f"“{line[:60]}” is not a web link. Each link must start with https:// or http://."
                ) from None
        return lines

    def clean(self):
        cleaned = super().clean()

        skills = {
            area: cleaned.get(skill_field_name(area))
            for area in SkillArea.values
            if cleaned.get(skill_field_name(area))
        }
        if not skills:
            self.add_error(skill_field_name(SkillArea.values[0]), "Choose at least one skill and your level in it.")
        cleaned["skills"] = skills

        work_mode = cleaned.get("work_mode")
        in_person = work_mode in {WorkMode.IN_PERSON, WorkMode.BOTH}
        if in_person and not cleaned.get("travel_radius_miles") and "travel_radius_miles" not in self.errors:
            self.add_error("travel_radius_miles", "Enter how far you will travel for work in person.")
        if not in_person:
            cleaned["travel_radius_miles"] = None

        location = cleaned.get("postcode")
        if location is not None and in_person and not location.has_coordinates:
            self.add_error("postcode", no_location_message(location))

        available_from = cleaned.get("available_from")
        available_until = cleaned.get("available_until")
        if available_from and available_until and available_until < available_from:
            self.add_error(
                "available_until",
                f"Available until must be on or after available from ({available_from:%-d %B %Y}).",
            )
        if available_until and available_until < today():
            self.add_error("available_until", "Available until must be today or in the future.")
        return cleaned


class PartyConsentFields(forms.Form):
    party_relationship = forms.ChoiceField(
        label="Your relationship to the Labour Party (optional)",
        choices=[("", "I'd rather not say"), *PartyRelationship.choices],
        required=False,
        help_text="We never use this to choose who is matched.",
    )
    party_consent = forms.BooleanField(
        label="I consent to Tech for Labour holding my relationship to the Labour Party",
        required=False,
        help_text="This shows a political opinion, which the law protects. We need your explicit consent to keep it.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("party_relationship") and not cleaned.get("party_consent"):
            self.add_error(
                "party_consent",
                "Tick the box to let us hold your relationship to the party, or choose “I'd rather not say”. "
                "Without your consent we store nothing about it.",
            )
        return cleaned


SIGNUP_FIELD_ORDER = [
    "email",
    "password1",
    "password2",
    "full_name",
    "postcode",
    *[skill_field_name(area) for area in SkillArea.values],
    "work_mode",
    "travel_radius_miles",
    "hours_per_week",
    "available_from",
    "available_until",
    "max_active_matches",
    "bio",
    "links",
    "party_relationship",
    "party_consent",
    "privacy_consent",
    "news_consent",
]


def set_account_error_messages(form) -> None:
    """Replace allauth's "This field is required." with messages that name the field."""
    form.fields["email"].error_messages["required"] = "Enter your email address."
    form.fields["password1"].error_messages["required"] = "Enter a password."
    form.fields["password2"].error_messages["required"] = "Enter the same password again."


class VolunteerSignupForm(SignupForm, VolunteerProfileFields, PartyConsentFields):
    """Create the account and the volunteer profile in one form."""

    privacy_consent = forms.BooleanField(
        label=(
            "I have read the privacy notice and agree to Tech for Labour holding my details to match me with campaigns"
        ),
        error_messages={"required": "Tick the box to agree to the privacy notice, or we cannot sign you up."},
    )
    news_consent = forms.BooleanField(
        label="Send me occasional news and call-outs for help (optional)",
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email address"
        self.fields["email"].help_text = "We'll send you a link to confirm it."
        self.fields["email"].widget.attrs.pop("placeholder", None)
        self.fields["password1"].widget.attrs.pop("placeholder", None)
        self.fields["password2"].widget.attrs.pop("placeholder", None)
        set_account_error_messages(self)
        # The error summary lists errors in field order, so it follows the page.
        self.order_fields(SIGNUP_FIELD_ORDER)

    def signup(self, request, user):
        from .services import create_volunteer

        create_volunteer(user=user, data=self.cleaned_data)


class VolunteerProfileForm(VolunteerProfileFields, PartyConsentFields):
    is_paused = forms.BooleanField(
        label="Pause: don't suggest me for new work for now",
        required=False,
    )
