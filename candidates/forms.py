from allauth.account.forms import SignupForm
from django import forms

from matching.fields import DateInput, PostcodeField, positive_hours_field, today
from matching.postcodes import Grid
from volunteers.forms import set_account_error_messages
from volunteers.models import SkillArea

from .elections import BallotIdError, build_ballot_id, can_have_division, subtype_required, suggested_needed_by
from .models import Candidate, Election, HelpRequest

MAX_REQUESTS_PER_VISIT = 8


class BallotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, election):
        unconfirmed = "" if election.is_confirmed else " (waiting for an organiser to confirm it)"
        return f"{election.name}, polling day {election.polling_day:%-d %B %Y}{unconfirmed}"


class CampaignFields(forms.Form):
    """The campaign and its election."""

    full_name = forms.CharField(
        label="Candidate's full name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
        error_messages={"required": "Enter the candidate's full name."},
    )
    role = forms.ChoiceField(
        label="Who are you?",
        choices=Candidate.Role.choices,
        widget=forms.RadioSelect,
        initial=Candidate.Role.CANDIDATE,
        error_messages={"required": "Choose who you are."},
    )
    contact_name = forms.CharField(
        label="Your name, if you are not the candidate",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.RegexField(
        label="Phone number (optional)",
        required=False,
        max_length=20,
        regex=r"^\+?[0-9 ()-]{9,20}$",
        error_messages={"invalid": "Enter a UK phone number, like 0121 496 0000 or +44 121 496 0000."},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    postcode = PostcodeField(label="Campaign postcode", help_text="Where the campaign is based, for example B1 1AY.")
    ballot_query = forms.CharField(
        label="Find your ballot",
        max_length=100,
        required=False,
        help_text="Search by council or ward, such as Birmingham or Acocks Green, then press Search ballots.",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    election = BallotChoiceField(
        label="Your ballot",
        queryset=Election.objects.none(),
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "That ballot is no longer open. Search again and choose another."},
    )
    election_type = forms.ChoiceField(
        label="Type of election",
        choices=Election.Type.choices,
        initial=Election.Type.LOCAL,
        required=False,
    )
    council = forms.CharField(
        label="Council",
        max_length=150,
        required=False,
        help_text="Leave empty to fill it in from the campaign postcode.",
    )
    ward = forms.CharField(
        label="Ward or division",
        max_length=150,
        required=False,
        help_text="Leave empty for a ballot across the whole area, such as a mayor's.",
    )
    polling_day = forms.DateField(
        label="Polling day",
        widget=DateInput(),
        required=False,
        error_messages={"invalid": "Enter polling day as a real date."},
    )
    is_by_election = forms.BooleanField(label="This is a by-election", required=False)

    BALLOT_FIELDS = ("ballot_query", "election", "election_type", "council", "ward", "polling_day", "is_by_election")

    # An imported candidate signing up through an invitation: their ballot is already known.
    imported_candidate = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["election"].queryset = Election.objects.confirmed().upcoming(today())
        self.set_ballot_choices([])

    def use_imported_candidate(self, candidate: Candidate) -> None:
        """Take the ballot from an imported candidate's record instead of asking for it."""
        self.imported_candidate = candidate
        for name in self.BALLOT_FIELDS:
            self.fields.pop(name, None)
        self.fields["full_name"].initial = candidate.full_name

    def set_ballot_choices(self, elections) -> None:
        """Offer these ballots as the choices; any upcoming confirmed ballot is still accepted when posted."""
        field = self.fields["election"]
        field.widget.choices = [(election.pk, field.label_from_instance(election)) for election in elections]

    def clean_polling_day(self):
        polling_day = self.cleaned_data["polling_day"]
        if polling_day is not None and polling_day <= today():
            raise forms.ValidationError("Polling day must be in the future.")
        return polling_day

    def clean(self):
        cleaned = super().clean()
        location = cleaned.get("postcode")
        if location is not None and not location.has_coordinates:
            if location.grid == Grid.IRISH:
                message = (
                    f"{location.postcode} is in Northern Ireland. The network helps campaigns "
                    "in Great Britain's elections only."
                )
            else:
                message = f"{location.postcode} has no location we can use. Enter the postcode of the campaign's base."
            self.add_error("postcode", message)
            location = None

        election = self.imported_candidate.election if self.imported_candidate else cleaned.get("election")
        if election is not None:
            cleaned.update(
                election=election, council=election.council, ward=election.ward, polling_day=election.polling_day
            )
        elif "election" not in self.errors:
            self._clean_named_ballot(cleaned, location)

        if cleaned.get("role") and cleaned["role"] != Candidate.Role.CANDIDATE and not cleaned.get("contact_name"):
            self.add_error("contact_name", "Enter your own name, since you are not the candidate.")
        return cleaned

    def _clean_named_ballot(self, cleaned: dict, location) -> None:
        """Check a ballot the person named because the search did not find it; organisers confirm it later."""
        council = (cleaned.get("council") or "").strip()
        if not council and location is not None:
            council = location.local_authority_name
            if not council:
                self.add_error("council", "We could not tell the council from the postcode. Enter the council's name.")
        elif not council and "postcode" not in self.errors:
            self.add_error("council", "Enter the council's name.")
        cleaned["council"] = council

        election_type = cleaned.get("election_type") or Election.Type.LOCAL
        cleaned["election_type"] = election_type
        ward = (cleaned.get("ward") or "").strip()
        if not ward and can_have_division(election_type) and "ward" not in self.errors:
            self.add_error(
                "ward", "Enter the ward the candidate is standing in, or choose your ballot from the search."
            )
        if cleaned.get("polling_day") is None and "polling_day" not in self.errors:
            self.add_error("polling_day", "Enter polling day, or choose your ballot from the search.")
        if subtype_required(election_type):
            self.add_error(
                "election_type",
                f"Choose a {Election.Type(election_type).label} ballot from the search: "
                "the organisers add those ballots from Democracy Club.",
            )
        if self.errors.keys() & {"council", "ward", "polling_day", "election_type"}:
            return

        try:
            build_ballot_id(
                election_type=election_type,
                polling_day=cleaned["polling_day"],
                organisation=council,
                division=ward,
                is_by_election=cleaned.get("is_by_election", False),
            )
        except BallotIdError as error:
            field = "council" if "council" in str(error) else "ward"
            self.add_error(field, str(error))


class HelpRequestForm(forms.ModelForm):
    skill_area = forms.ChoiceField(
        label="Which kind of help?",
        choices=SkillArea.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of help you need."},
    )
    description = forms.CharField(
        label="What do you need?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example: a one-page website with our pledges and a sign-up form. Up to 2,000 characters.",
        error_messages={"required": "Describe what you need."},
    )
    estimated_hours = positive_hours_field("Hours a week it needs", "Your best estimate, as a whole number.")
    needed_by = forms.DateField(
        label="Needed by",
        widget=DateInput(),
        help_text="On or before polling day.",
        error_messages={"required": "Enter the date you need it by.", "invalid": "Enter a real date."},
    )
    work_mode = forms.ChoiceField(
        label="In person or remote?",
        choices=HelpRequest.WorkMode.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose in person, remote or either."},
    )

    class Meta:
        model = HelpRequest
        fields = ["skill_area", "description", "estimated_hours", "needed_by", "work_mode"]

    def __init__(self, *args, polling_day=None, timetable=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.polling_day = polling_day
        if timetable is not None:
            self.fields["needed_by"].help_text = needed_by_help(timetable)

    def clean_needed_by(self):
        needed_by = self.cleaned_data["needed_by"]
        if needed_by < today():
            raise forms.ValidationError("Needed by must be today or in the future.")
        if self.polling_day and needed_by > self.polling_day:
            raise forms.ValidationError(f"Needed by must be on or before polling day ({self.polling_day:%-d %B %Y}).")
        return needed_by


class BaseHelpRequestFormSet(forms.BaseModelFormSet):
    def __init__(self, *args, polling_day=None, timetable=None, **kwargs):
        self.polling_day = polling_day
        self.timetable = timetable
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        kwargs["polling_day"] = self.polling_day
        kwargs["timetable"] = self.timetable
        return kwargs


def needed_by_suggestions(timetable) -> list[tuple[str, str, object]]:
    """Return (skill area, its label, suggested KeyDate) for each kind of help, from the ballot's key dates."""
    return [(area, label, suggested_needed_by(timetable, area, today=today())) for area, label in SkillArea.choices]


# How the help text names each kind of help in a sentence.
HELP_IN_A_SENTENCE = {
    SkillArea.ENGINEERING: "a website",
    SkillArea.SOCIAL_MEDIA: "social media",
    SkillArea.DATA: "data work",
    SkillArea.VIDEO: "video",
}


def needed_by_help(timetable) -> str:
    suggestions = "; ".join(
        f"{HELP_IN_A_SENTENCE.get(area, label.lower())} by {key_date.day:%-d %B} ({key_date.label.lower()})"
        for area, label, key_date in needed_by_suggestions(timetable)
    )
    return f"On or before polling day. We suggest {suggestions}."


HelpRequestFormSet = forms.modelformset_factory(
    HelpRequest,
    form=HelpRequestForm,
    formset=BaseHelpRequestFormSet,
    extra=1,
    max_num=MAX_REQUESTS_PER_VISIT,
    validate_max=True,
    min_num=1,
    validate_min=True,
)


class CandidateSignupForm(SignupForm, CampaignFields):
    """Create the account and the campaign; the help requests come in a formset beside it."""

    privacy_consent = forms.BooleanField(
        label=(
            "I have read the privacy notice and agree to Tech for Labour holding these details to find volunteers. "
            "If I am an election agent or campaign organiser, I give my explicit consent to Tech for Labour "
            "holding the fact that I help a Labour campaign, which shows my political opinion"
        ),
        error_messages={"required": "Tick the box to agree to the privacy notice, or we cannot take your request."},
    )

    def __init__(self, *args, **kwargs):
        self.help_request_formset = None
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email address"
        self.fields["email"].help_text = "We'll send you a link to confirm it."
        for name in ("email", "password1", "password2"):
            self.fields[name].widget.attrs.pop("placeholder", None)
        set_account_error_messages(self)

    def signup(self, request, user):
        from .services import create_candidate

        data = {**self.cleaned_data, "imported_candidate": self.imported_candidate}
        create_candidate(user=user, data=data, help_requests=self.help_request_formset.cleaned_data)
