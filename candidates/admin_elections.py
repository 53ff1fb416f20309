"""
Admin for ballots: adding, importing, confirming and merging them, inviting
imported candidates, the queue of requests by urgency, and call-outs.

Imports, confirming, merging and invitations need permission to change
ballots. The urgency queue needs permission to view help requests. Call-outs
need permission to approve matches, because they are part of finding a volunteer.
"""

import logging

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from matching import callouts
from matching.models import Match

from . import ballots, importers, invitations
from .elections import BallotIdError, build_ballot_id
from .models import CallOut, CallOutRecipient, Candidate, Election, HelpRequest, UrgentHelpRequest

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ERRORS_SHOWN = 100
IDENTITY_FIELDS = ["ballot_id", "election_type", "subtype", "polling_day", "is_by_election"]


def _posted(request) -> tuple:
    """Return the form data to bind, so that a POST with no fields at all is still validated."""
    return (request.POST,) if request.method == "POST" else ()


class ElectionAddForm(forms.ModelForm):
    """A ballot added by hand: its identifier is built from the other fields."""

    class Meta:
        model = Election
        fields = [
            "election_type",
            "subtype",
            "council",
            "ward",
            "polling_day",
            "is_by_election",
            "country",
            "seats_contested",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            ballot_id = build_ballot_id(
                election_type=cleaned["election_type"],
                polling_day=cleaned["polling_day"],
                organisation=cleaned.get("council", ""),
                division=cleaned.get("ward", ""),
                subtype=cleaned.get("subtype", ""),
                is_by_election=cleaned.get("is_by_election", False),
            )
        except BallotIdError as error:
            raise forms.ValidationError(str(error)) from error
        if Election.objects.filter(ballot_id=ballot_id).exists():
            raise forms.ValidationError(f"The ballot {ballot_id} already exists.")
        self.instance.ballot_id = ballot_id
        self.instance.source = Election.Source.ORGANISER
        return cleaned


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Up to 20 MB, saved as CSV UTF-8.",
        error_messages={"required": "Choose a CSV file to upload."},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB. Split it and upload each part.")
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(f"“{upload.name}” is not a .csv file. Save the sheet as CSV UTF-8.")
        return upload


class MergeForm(forms.Form):
    into = forms.CharField(
        label="Ballot identifier to merge into",
        max_length=200,
        help_text="Such as local.birmingham.acocks-green.2026-05-07.",
        error_messages={"required": "Enter the identifier of the ballot to keep."},
    )

    def __init__(self, *args, duplicate: Election, **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicate = duplicate

    def clean_into(self):
        ballot_id = self.cleaned_data["into"].strip().lower()
        target = Election.objects.filter(ballot_id=ballot_id).first()
        if target is None:
            raise forms.ValidationError(f"No ballot has the identifier “{ballot_id}”.")
        if target.pk == self.duplicate.pk:
            raise forms.ValidationError("Choose another ballot: this is the one being merged.")
        return target


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        required=False,
        help_text="Leave empty to use the address already held.",
        error_messages={"invalid": "Enter an email address, like name@example.org."},
    )

    def __init__(self, *args, candidate: Candidate, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidate = candidate
        self.fields["email"].initial = candidate.invitation_email

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("email") and not self.candidate.invitation_email and "email" not in self.errors:
            self.add_error("email", "Enter the candidate's email address: none is held yet.")
        return cleaned


class BallotCandidateInline(admin.TabularInline):
    """The candidates standing in a ballot, with a link to invite each imported one."""

    model = Candidate
    extra = 0
    can_delete = False
    fields = ["full_name", "democracy_club_person_id", "account", "invitation_email", "invited", "result", "invite"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="account", boolean=True)
    def account(self, candidate):
        return candidate.user_id is not None

    @admin.display(description="invitation")
    def invited(self, candidate):
        if candidate.invitation_sent_at:
            return f"Sent {candidate.invitation_sent_at:%-d %b %Y}"
        if candidate.invited_at:
            return "Waiting to be sent"
        return "–"

    @admin.display(description="")
    def invite(self, candidate):
        if candidate.user_id is not None:
            return "–"
        url = reverse("admin:candidates_election_invite", args=[candidate.pk])
        return format_html('<a href="{}">Invite</a>', url)


@admin.register(Election)
class ElectionAdmin(admin.ModelAdmin):
    list_display = [
        "ballot_id",
        "election_type",
        "council",
        "ward",
        "polling_day",
        "country",
        "is_confirmed",
        "candidate_count",
        "closed_at",
    ]
    list_filter = ["is_confirmed", "election_type", "country", "is_by_election", "source"]
    search_fields = ["ballot_id", "council", "ward"]
    date_hierarchy = "polling_day"
    actions = ["confirm_selected"]
    inlines = [BallotCandidateInline]
    change_list_template = "candidates/admin/election_change_list.html"
    change_form_template = "candidates/admin/election_change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(candidates_count=Count("candidates"))

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.has_change_permission(request)}
        return super().changelist_view(request, extra_context=extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ElectionAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ElectionAddForm.Meta.fields
        return [
            *IDENTITY_FIELDS,
            "council",
            "ward",
            "country",
            "seats_contested",
            "is_confirmed",
            "key_dates",
            "source",
            "closed_at",
            "created_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*IDENTITY_FIELDS, "key_dates", "source", "closed_at", "created_at"]

    @admin.display(description="candidates", ordering="candidates_count")
    def candidate_count(self, election):
        return election.candidates_count

    @admin.display(description="key dates")
    def key_dates(self, election):
        timetable = election.timetable
        if timetable is None:
            return "–"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "", "<li>{}: {}</li>", ((key.label, f"{key.day:%A %-d %B %Y}") for key in timetable.key_dates())
            ),
        )

    @admin.action(description="Confirm the selected ballots", permissions=["change"])
    def confirm_selected(self, request, queryset):
        confirmed = ballots.confirm_ballots(queryset)
        self.message_user(request, f"{confirmed} ballot(s) confirmed; candidates can now find them.", messages.SUCCESS)

    def get_urls(self):
        view = self.admin_site.admin_view
        custom = [
            path(
                "import/democracy-club/",
                view(self.import_democracy_club_view),
                name="candidates_election_import_democracy_club",
            ),
            path("import/ballots/", view(self.import_ballots_view), name="candidates_election_import_ballots"),
            path("<int:election_id>/merge/", view(self.merge_view), name="candidates_election_merge"),
            path("invite/<int:candidate_id>/", view(self.invite_view), name="candidates_election_invite"),
        ]
        return custom + super().get_urls()

    def _check_change_permission(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied

    def _render(self, request, template, title, **context):
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **context}
        return TemplateResponse(request, f"candidates/admin/{template}", context)

    def import_democracy_club_view(self, request):
        return self._import_view(
            request,
            importer=importers.import_democracy_club_candidates,
            title="Import Democracy Club's candidates file",
            description=(
                "Upload the candidates CSV file from candidates.democracyclub.org.uk. Every ballot in it is "
                "added or updated; only the candidates of these parties are kept: "
                + ", ".join(settings.IMPORT_PARTY_NAMES)
                + "."
            ),
        )

    def import_ballots_view(self, request):
        return self._import_view(
            request,
            importer=importers.import_ballots,
            title="Import a ballots file",
            description=(
                "Upload a CSV file with the columns type, council, ward and polling_day, and optionally "
                "by_election (t or f), subtype and country. Type is one of: Local, Mayoral, Senedd, "
                "Scottish Parliament, London Assembly, UK Parliament, Police and crime commissioner."
            ),
        )

    def _import_view(self, request, *, importer, title, description):
        self._check_change_permission(request)
        form = CsvUploadForm(*_posted(request), files=request.FILES if request.method == "POST" else None)
        errors = []
        if request.method == "POST" and form.is_valid():
            try:
                result = importer(form.cleaned_data["file"])
            except importers.ImportFailed as failure:
                errors = failure.errors
                logger.info("Import by user %s rejected with %d errors", request.user.pk, len(errors))
            else:
                logger.info("Import by user %s: %s", request.user.pk, result.summary())
                self.message_user(request, f"Imported. {result.summary()}", messages.SUCCESS)
                return redirect("admin:candidates_election_changelist")
        return self._render(
            request,
            "import.html",
            title,
            form=form,
            description=description,
            errors=errors[:MAX_ERRORS_SHOWN],
            error_count=len(errors),
            errors_not_shown=max(0, len(errors) - MAX_ERRORS_SHOWN),
        )

    def merge_view(self, request, election_id):
        self._check_change_permission(request)
        duplicate = get_object_or_404(Election, pk=election_id)
        form = MergeForm(*_posted(request), duplicate=duplicate)
        if request.method == "POST" and form.is_valid():
            target = form.cleaned_data["into"]
            moved = ballots.merge_ballot(duplicate=duplicate, into=target)
            self.message_user(
                request, f"Ballot merged into {target.ballot_id}: {moved} candidate(s) moved.", messages.SUCCESS
            )
            return redirect("admin:candidates_election_change", target.pk)
        return self._render(request, "merge.html", "Merge into another ballot", form=form, election=duplicate)

    def invite_view(self, request, candidate_id):
        self._check_change_permission(request)
        candidate = get_object_or_404(Candidate.objects.select_related("election"), pk=candidate_id)
        if candidate.user_id is not None:
            self.message_user(request, f"Candidate #{candidate.pk} already has an account.", messages.WARNING)
            return redirect("admin:candidates_election_change", candidate.election_id)
        form = InvitationForm(*_posted(request), candidate=candidate)
        if request.method == "POST" and form.is_valid():
            try:
                invitations.invite_candidate(candidate=candidate, email=form.cleaned_data["email"])
            except invitations.InvitationError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, f"Invitation to candidate #{candidate.pk} queued.", messages.SUCCESS)
                return redirect("admin:candidates_election_change", candidate.election_id)
        return self._render(
            request,
            "invite.html",
            "Invite a candidate to ask for help",
            form=form,
            candidate=candidate,
            signup_url=invitations.invitation_url(candidate),
            invitation_days=invitations.INVITATION_DAYS,
        )


@admin.register(UrgentHelpRequest)
class UrgentHelpRequestAdmin(admin.ModelAdmin):
    """Requests still waiting for a volunteer, soonest first by their needed-by date or the ballot's next key date."""

    list_display = [
        "request_link",
        "skill_area",
        "ballot",
        "status",
        "needed_by",
        "next_key_date",
        "days_left",
        "suggestion_count",
        "callout_link",
    ]
    list_display_links = None
    list_filter = ["skill_area", "status", "work_mode"]
    search_fields = ["candidate__election__council", "candidate__election__ward", "candidate__election__ballot_id"]
    list_select_related = ["candidate__election"]

    def get_ordering(self, request):
        # urgency_date is annotated in get_queryset, which the system check of `ordering` cannot see.
        return ["urgency_date", "needed_by", "id"]

    def get_queryset(self, request):
        return (
            HelpRequest.objects.waiting()
            .with_urgency()
            .annotate(suggestions=Count("matches", filter=Q(matches__status=Match.Status.SUGGESTED)))
        )

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("candidates.view_helprequest")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="request", ordering="id")
    def request_link(self, help_request):
        url = reverse("admin:candidates_helprequest_change", args=[help_request.pk])
        return format_html('<a href="{}">Help request #{}</a>', url, help_request.pk)

    @admin.display(description="ballot", ordering="candidate__election__ballot_id")
    def ballot(self, help_request):
        return help_request.candidate.election.name

    @admin.display(description="next key date")
    def next_key_date(self, help_request):
        timetable = help_request.candidate.election.timetable
        upcoming = timetable.next_key_date(timezone.localdate()) if timetable else None
        return f"{upcoming.label}, {upcoming.day:%-d %b}" if upcoming else "–"

    @admin.display(description="days left", ordering="urgency_date")
    def days_left(self, help_request):
        return help_request.urgency_days

    @admin.display(description="suggestions", ordering="suggestions")
    def suggestion_count(self, help_request):
        return help_request.suggestions

    @admin.display(description="call-out")
    def callout_link(self, help_request):
        if help_request.status != HelpRequest.Status.OPEN:
            return "–"
        url = reverse("admin:candidates_callout_send", args=[help_request.pk])
        return format_html('<a href="{}">Send a call-out</a>', url)


class CallOutForm(forms.Form):
    radius_miles = forms.IntegerField(
        label="Volunteers who work in person within (miles)",
        required=False,
        min_value=1,
        max_value=callouts.MAX_RADIUS_MILES,
        help_text=f"From 1 to {callouts.MAX_RADIUS_MILES}. Leave empty to reach remote volunteers only.",
        error_messages={
            "invalid": "Enter the distance as a whole number of miles, like 25.",
            "min_value": "Enter at least 1 mile.",
            "max_value": f"Enter no more than {callouts.MAX_RADIUS_MILES} miles.",
        },
    )
    include_remote = forms.BooleanField(label="Volunteers who work remotely too", required=False)
    message = forms.CharField(
        label="Message from you (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Added to the email. Up to 1,000 characters. No names or contact details of the campaign.",
    )

    def __init__(self, *args, help_request: HelpRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.help_request = help_request

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            callouts.check_reach(self.help_request, self.reach(cleaned))
        except callouts.CallOutError as error:
            raise forms.ValidationError(str(error)) from error
        return cleaned

    @staticmethod
    def reach(cleaned) -> callouts.Reach:
        return callouts.Reach(radius_miles=cleaned.get("radius_miles"), include_remote=cleaned.get("include_remote"))


class CallOutRecipientInline(admin.TabularInline):
    model = CallOutRecipient
    extra = 0
    can_delete = False
    fields = ["volunteer", "status", "sent_at", "answered_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CallOut)
class CallOutAdmin(admin.ModelAdmin):
    """The log of call-outs sent; new ones are sent from the requests-by-urgency list."""

    list_display = ["__str__", "help_request", "reach", "recipient_count", "answered", "sent_by", "created_at"]
    list_select_related = ["help_request", "sent_by"]
    date_hierarchy = "created_at"
    fields = ["help_request", "sent_by", "radius_miles", "include_remote", "message", "recipient_count", "created_at"]
    readonly_fields = fields
    inlines = [CallOutRecipientInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(answers=Count("recipients", filter=Q(recipients__answered_at__isnull=False)))
        )

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("matching.approve_match") or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="reach")
    def reach(self, callout):
        parts = []
        if callout.radius_miles is not None:
            parts.append(f"in person within {callout.radius_miles} miles")
        if callout.include_remote:
            parts.append("remote")
        return " and ".join(parts)

    @admin.display(description="answered", ordering="answers")
    def answered(self, callout):
        return callout.answers

    def get_urls(self):
        custom = [
            path(
                "send/<int:help_request_id>/",
                self.admin_site.admin_view(self.send_view),
                name="candidates_callout_send",
            ),
        ]
        return custom + super().get_urls()

    def send_view(self, request, help_request_id):
        """Check who a call-out reaches, then send it once the organiser confirms."""
        if not request.user.has_perm("matching.approve_match"):
            raise PermissionDenied
        help_request = get_object_or_404(HelpRequest.objects.select_related("candidate__election"), pk=help_request_id)
        initial = {
            "radius_miles": 25 if help_request.work_mode != HelpRequest.WorkMode.REMOTE else None,
            "include_remote": help_request.work_mode != HelpRequest.WorkMode.IN_PERSON,
        }
        form = CallOutForm(*_posted(request), initial=initial, help_request=help_request)
        audience_size = None
        if request.method == "POST" and form.is_valid():
            reach = CallOutForm.reach(form.cleaned_data)
            if "send" in request.POST:
                try:
                    callout = callouts.send_callout(
                        help_request=help_request,
                        reach=reach,
                        organiser=request.user,
                        message=form.cleaned_data["message"],
                    )
                except callouts.CallOutError as error:
                    form.add_error(None, str(error))
                else:
                    self.message_user(
                        request,
                        f"Call-out sent to {callout.recipient_count} volunteer(s).",
                        messages.SUCCESS,
                    )
                    return redirect("admin:candidates_callout_change", callout.pk)
            else:
                audience_size = len(callouts.audience(help_request, reach))

        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Send a call-out for help request #{help_request.pk}",
            "form": form,
            "help_request": help_request,
            "election": help_request.candidate.election,
            "audience_size": audience_size,
            "suggestion_count": Match.objects.suggested().filter(help_request=help_request).count(),
        }
        return TemplateResponse(request, "candidates/admin/callout_send.html", context)
