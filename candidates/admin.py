from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from accounts.privacy import ErasureRefused, erase_person
from matching.admin import decision_buttons, score_explanation, volunteer_name, volunteer_skills
from matching.models import Match
from matching.services import MatchingError, record_result, refresh_suggestions
from techforlabour import exports
from techforlabour.admin_confirm import Step, confirmation_page, is_confirmed
from techforlabour.admin_filters import council_filter, polling_day_filter

from . import admin_elections  # noqa: F401  (registers the admin of ballots, imports and call-outs)
from .models import Candidate, Election, HelpRequest

# Matches whose introduction happened, so an election result can be recorded on them.
INTRODUCED_STATUSES = [Match.Status.ACCEPTED, Match.Status.COMPLETED]


class HelpRequestInline(admin.TabularInline):
    model = HelpRequest
    extra = 0
    fields = ["skill_area", "description", "estimated_hours", "needed_by", "work_mode", "status"]
    show_change_link = True


class ElectionResultForm(forms.Form):
    result = forms.ChoiceField(
        label="Election result",
        choices=Match.Result.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose won or lost."},
    )
    feedback = forms.CharField(
        label="Feedback on the volunteers (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="From the campaign. Up to 2,000 characters.",
    )


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ["id", "full_name", "role", "election", "postcode", "result_display", "created_at"]
    list_filter = ["role", council_filter("election"), polling_day_filter("election")]
    search_fields = ["full_name", "contact_name", "election__council", "election__ward", "postcode"]
    list_select_related = ["election"]
    list_per_page = 50
    raw_id_fields = ["user", "election"]
    readonly_fields = ["grid", "easting", "northing", "local_authority_code", "created_at", "updated_at"]
    inlines = [HelpRequestInline]
    date_hierarchy = "created_at"
    change_form_template = "admin/candidates/candidate/change_form.html"
    actions = ["erase_selected"]

    def get_queryset(self, request):
        # EXISTS subqueries rather than a join with GROUP BY, which the list's count and
        # date queries would otherwise repeat over every campaign's matches.
        matches = Match.objects.filter(help_request__candidate=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                won=Exists(matches.filter(result=Match.Result.WON)),
                lost=Exists(matches.filter(result=Match.Result.LOST)),
            )
        )

    @admin.display(description="result")
    def result_display(self, candidate):
        if candidate.won:
            return "Won"
        if candidate.lost:
            return "Lost"
        return "–"

    # Deleting a campaign would delete its requests and matches with it; erasing blanks the
    # person's details and keeps the rest for the network's counts, so only the erase action removes people.
    def has_delete_permission(self, request, obj=None):
        return False

    def has_erase_permission(self, request):
        return request.user.has_perm("accounts.erase_personal_data")

    @admin.action(description="Erase the selected candidates' personal data", permissions=["erase"])
    def erase_selected(self, request, queryset):
        candidates = list(queryset.select_related("user").order_by("pk"))
        if not is_confirmed(request):
            steps = [_candidate_erasure_step(candidate) for candidate in candidates]
            return confirmation_page(
                self, request, queryset, title="Erase personal data", steps=steps, button="Yes, erase them"
            )
        erased = 0
        for candidate in candidates:
            if not _candidate_erasure_step(candidate).will_happen:
                continue
            try:
                erase_person(user=candidate.user, actor=request.user)
            except ErasureRefused as error:
                self.message_user(request, str(error), messages.ERROR)
                continue
            erased += 1
        if erased:
            self.message_user(request, f"Erased the personal data of {erased} candidate(s).", messages.SUCCESS)

    def has_record_result_permission(self, request):
        return request.user.has_perm("matching.change_match")

    def get_urls(self):
        custom = [
            path(
                "<int:candidate_id>/result/",
                self.admin_site.admin_view(self.record_result_view),
                name="candidates_candidate_result",
            ),
        ]
        return custom + super().get_urls()

    def record_result_view(self, request, candidate_id):
        """Record won or lost on every match that introduced a volunteer to this campaign."""
        if not self.has_record_result_permission(request):
            raise PermissionDenied
        candidate = get_object_or_404(Candidate.objects.select_related("election"), pk=candidate_id)
        matches = list(
            Match.objects.filter(help_request__candidate=candidate, status__in=INTRODUCED_STATUSES)
            .select_related("volunteer", "help_request")
            .order_by("pk")
        )
        form = ElectionResultForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid() and matches:
            try:
                with transaction.atomic():
                    for match in matches:
                        record_result(
                            match_id=match.pk,
                            result=form.cleaned_data["result"],
                            feedback=form.cleaned_data["feedback"],
                            actor=request.user,
                        )
            except MatchingError as error:
                form.add_error(None, str(error))
            else:
                label = Match.Result(form.cleaned_data["result"]).label.lower()
                message = f"Recorded that candidate #{candidate.pk} {label}, on {len(matches)} introduced match(es)."
                self.message_user(request, message, messages.SUCCESS)
                return redirect("admin:candidates_candidate_change", candidate.pk)

        context = {
            **self.admin_site.each_context(request),
            "title": "Record the election result",
            "opts": self.model._meta,
            "original": candidate,
            "candidate": candidate,
            "matches": matches,
            "form": form,
        }
        return TemplateResponse(request, "admin/candidates/candidate/record_result.html", context)


class SuggestionInline(admin.TabularInline):
    """The request's ranked suggestions, each with its score explained and buttons to decide."""

    model = Match
    extra = 0
    can_delete = False
    verbose_name = "suggested volunteer"
    verbose_name_plural = "suggested volunteers, best first"
    fields = ["rank", "volunteer_name", "skills", "distance", "total", "why", "decide"]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status=Match.Status.SUGGESTED)
            .select_related("volunteer")
            .prefetch_related("volunteer__skills")
            .order_by("rank", "id")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="volunteer")
    def volunteer_name(self, match):
        return volunteer_name(match)

    @admin.display(description="skills")
    def skills(self, match):
        return volunteer_skills(match)

    @admin.display(description="distance")
    def distance(self, match):
        return "unknown" if match.distance_miles is None else f"{match.distance_miles:.1f} miles"

    @admin.display(description="score")
    def total(self, match):
        return f"{match.total_score:.1f}"

    @admin.display(description="why")
    def why(self, match):
        return score_explanation(match)

    @admin.display(description="decide")
    def decide(self, match):
        return decision_buttons(match, reverse("admin:candidates_helprequest_change", args=[match.help_request_id]))


class DecidedMatchInline(admin.TabularInline):
    model = Match
    extra = 0
    can_delete = False
    verbose_name = "decided match"
    verbose_name_plural = "approved and rejected matches"
    fields = ["volunteer_name", "status", "decided_by", "decided_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .exclude(status=Match.Status.SUGGESTED)
            .select_related("volunteer", "decided_by")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="volunteer")
    def volunteer_name(self, match):
        return volunteer_name(match)


@admin.register(HelpRequest)
class HelpRequestAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "candidate_name",
        "skill_area",
        "council",
        "ward",
        "needed_by",
        "work_mode",
        "status",
        "suggestion_count",
        "target_seat",
    ]
    list_filter = [
        "status",
        ("candidate__election__is_target_seat", admin.BooleanFieldListFilter),
        "skill_area",
        "work_mode",
        council_filter("candidate__election"),
        polling_day_filter("candidate__election"),
    ]
    search_fields = [
        "candidate__full_name",
        "candidate__contact_name",
        "candidate__election__council",
        "candidate__election__ward",
        "description",
    ]
    list_select_related = ["candidate__election"]
    # Rendering rows costs more than reading them; 50 keeps a page quick, and "Show all" gives 200.
    list_per_page = 50
    actions = ["find_more_volunteers", "mark_target_seat", "unmark_target_seat", "export_csv"]
    # Target seats first everywhere, then the soonest needed.
    ordering = ["-candidate__election__is_target_seat", "needed_by", "id"]
    raw_id_fields = ["candidate"]
    readonly_fields = ["suggestions_updated_at", "created_at", "updated_at"]
    date_hierarchy = "needed_by"
    inlines = [SuggestionInline, DecidedMatchInline]
    change_form_template = "admin/candidates/helprequest/change_form.html"

    def get_queryset(self, request):
        # A subquery rather than a join with GROUP BY, which the list's count and date
        # queries would otherwise repeat over every match.
        suggested = (
            Match.objects.filter(help_request=OuterRef("pk"), status=Match.Status.SUGGESTED)
            .order_by()
            .values("help_request")
            .annotate(count=Count("id"))
            .values("count")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(suggestions=Coalesce(Subquery(suggested, output_field=IntegerField()), 0))
        )

    @admin.display(description="candidate", ordering="candidate__full_name")
    def candidate_name(self, help_request):
        return help_request.candidate.full_name

    @admin.display(description="council", ordering="candidate__election__council")
    def council(self, help_request):
        return help_request.candidate.election.council

    @admin.display(description="ward", ordering="candidate__election__ward")
    def ward(self, help_request):
        return help_request.candidate.election.ward

    @admin.display(description="suggestions", ordering="suggestions")
    def suggestion_count(self, help_request):
        return help_request.suggestions

    def has_export_permission(self, request):
        return request.user.has_perm("volunteers.export_help_requests")

    @admin.action(description="Find more volunteers for the selected requests", permissions=["change"])
    def find_more_volunteers(self, request, queryset):
        requests = list(queryset.select_related("candidate__election").order_by("pk"))
        if not is_confirmed(request):
            steps = [_refresh_step(help_request) for help_request in requests]
            return confirmation_page(
                self, request, queryset, title="Find more volunteers", steps=steps, button="Yes, rank them again"
            )
        found = sum(refresh_suggestions(help_request=help_request) for help_request in requests)
        self.message_user(
            request, f"Suggestions recomputed for {len(requests)} request(s): {found} in all.", messages.SUCCESS
        )

    @admin.display(description="target seat", boolean=True, ordering="candidate__election__is_target_seat")
    def target_seat(self, help_request):
        return help_request.candidate.election.is_target_seat

    @admin.action(description="Mark the ballots of the selected requests as target seats", permissions=["change"])
    def mark_target_seat(self, request, queryset):
        self._set_target_seat(request, queryset, True)

    @admin.action(description="Unmark the ballots of the selected requests as target seats", permissions=["change"])
    def unmark_target_seat(self, request, queryset):
        self._set_target_seat(request, queryset, False)

    def _set_target_seat(self, request, queryset, is_target_seat: bool):
        election_ids = set(queryset.values_list("candidate__election_id", flat=True))
        # save() rather than update(), so each ballot's change goes through its own model code.
        for election in Election.objects.filter(pk__in=election_ids):
            election.is_target_seat = is_target_seat
            election.save(update_fields=["is_target_seat"])
        verb = "marked as" if is_target_seat else "no longer"
        self.message_user(request, f"{len(election_ids)} ballot(s) {verb} target seats.", messages.SUCCESS)

    @admin.action(description="Export selected help requests as CSV", permissions=["export"])
    def export_csv(self, request, queryset):
        return exports.export_csv(dataset=exports.HELP_REQUESTS, queryset=queryset, user=request.user)

    def get_urls(self):
        custom = [
            path(
                "<int:help_request_id>/refresh/",
                self.admin_site.admin_view(require_POST(self.refresh_view)),
                name="candidates_helprequest_refresh",
            ),
        ]
        return custom + super().get_urls()

    def refresh_view(self, request, help_request_id):
        help_request = get_object_or_404(HelpRequest.objects.select_related("candidate"), pk=help_request_id)
        if not self.has_change_permission(request, help_request):
            return redirect("admin:index")
        kept = refresh_suggestions(help_request=help_request)
        messages.success(request, f"Suggestions recomputed: {kept} volunteer(s) found.")
        return redirect("admin:candidates_helprequest_change", help_request.pk)


def _refresh_step(help_request: HelpRequest) -> Step:
    election = help_request.candidate.election
    label = f"Help request #{help_request.pk} ({help_request.get_skill_area_display().lower()}, {election.ward})"
    if help_request.status == HelpRequest.Status.OPEN:
        return Step(f"{label}: its suggestions are ranked again from every volunteer who fits.")
    if help_request.status == HelpRequest.Status.CLOSED:
        return Step(f"{label} is closed: its remaining suggestions are removed.")
    return Step(f"{label} is {help_request.get_status_display().lower()}: it keeps its suggestions.", False)


def _candidate_erasure_step(candidate: Candidate) -> Step:
    if candidate.anonymised_at:
        return Step(f"Candidate #{candidate.pk}'s details were already erased.", False)
    if candidate.user is None:
        # NOTE: a campaign imported without an account has no person to erase through accounts.privacy.
        return Step(f"Candidate #{candidate.pk} has no account, so the erasure rules cannot reach them here.", False)
    if candidate.user.is_staff or candidate.user.is_superuser:
        return Step(f"Candidate #{candidate.pk} is a member of staff: remove their staff status first.", False)
    return Step(
        f"Candidate #{candidate.pk} ({candidate.full_name}): account, email addresses and sessions deleted; "
        "names, phone and postcode blanked; if polling day is still ahead, open requests close and live offers "
        "are cancelled; matches are kept without them, for the network's counts."
    )
