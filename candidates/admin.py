from django.contrib import admin, messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from matching.admin import decision_buttons, score_explanation, volunteer_skills
from matching.models import Match
from matching.services import refresh_suggestions

from .models import Candidate, Election, HelpRequest


@admin.register(Election)
class ElectionAdmin(admin.ModelAdmin):
    list_display = ["council", "ward", "polling_day"]
    list_filter = ["polling_day"]
    search_fields = ["council", "ward"]
    date_hierarchy = "polling_day"


class HelpRequestInline(admin.TabularInline):
    model = HelpRequest
    extra = 0
    fields = ["skill_area", "description", "estimated_hours", "needed_by", "work_mode", "status"]
    show_change_link = True


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ["id", "full_name", "role", "election", "postcode", "created_at"]
    list_filter = ["role", "election__council"]
    search_fields = ["full_name", "contact_name", "election__council", "election__ward", "postcode"]
    list_select_related = ["election"]
    raw_id_fields = ["user", "election"]
    readonly_fields = ["grid", "easting", "northing", "local_authority_code", "created_at", "updated_at"]
    inlines = [HelpRequestInline]


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
        return match.volunteer.full_name

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
        return super().get_queryset(request).exclude(status=Match.Status.SUGGESTED).select_related("volunteer")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="volunteer")
    def volunteer_name(self, match):
        return match.volunteer.full_name


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
    ]
    list_filter = ["status", "skill_area", "work_mode", "candidate__election__council"]
    search_fields = ["candidate__full_name", "candidate__election__council", "candidate__election__ward", "description"]
    list_select_related = ["candidate__election"]
    raw_id_fields = ["candidate"]
    readonly_fields = ["suggestions_updated_at", "created_at", "updated_at"]
    date_hierarchy = "needed_by"
    inlines = [SuggestionInline, DecidedMatchInline]
    change_form_template = "admin/candidates/helprequest/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(suggestions=Count("matches", filter=Q(matches__status=Match.Status.SUGGESTED)))
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
