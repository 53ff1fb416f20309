from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme

from techforlabour import exports
from techforlabour.admin_confirm import confirmation_page, is_confirmed
from techforlabour.admin_filters import council_filter, polling_day_filter

from . import decisions
from .models import Match, MatchEvent, OutgoingEmail
from .scoring import MatchingConfig, describe_score
from .services import MatchingError, approve_match, approve_shortlist, record_result, reject_match

ERASED = "(erased)"


def score_explanation(match: Match):
    parts = {
        "skill": match.skill_score,
        "distance": match.distance_score,
        "availability": match.availability_score,
        "capacity": match.capacity_score,
        "fairness": match.fairness_score,
    }
    lines = describe_score(parts, match.distance_miles, MatchingConfig.from_settings())
    return format_html_join("", "<div>{}</div>", ((line,) for line in lines))


def volunteer_skills(match: Match) -> str:
    if match.volunteer is None:
        return ""
    return ", ".join(str(skill) for skill in match.volunteer.skills.all())


def volunteer_name(match: Match) -> str:
    return match.volunteer.full_name if match.volunteer else ERASED


class MatchEventInline(admin.TabularInline):
    model = MatchEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "actor", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class OutgoingEmailInline(admin.TabularInline):
    model = OutgoingEmail
    extra = 0
    can_delete = False
    fields = ["kind", "status", "attempts", "sent_at", "last_error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "volunteer_name",
        "help_request",
        "council",
        "status",
        "rank",
        "total_score_display",
        "distance_display",
    ]
    list_filter = [
        "status",
        "help_request__skill_area",
        council_filter("help_request__candidate__election"),
        polling_day_filter("help_request__candidate__election"),
    ]
    search_fields = [
        "volunteer__full_name",
        "help_request__candidate__full_name",
        "help_request__candidate__election__council",
        "help_request__candidate__election__ward",
    ]
    list_select_related = ["volunteer", "help_request__candidate__election"]
    date_hierarchy = "created_at"
    # Rendering rows costs more than reading them; 50 keeps a page quick, and "Show all" gives 200.
    list_per_page = 50
    # Newest first, read from the primary key's index; the model's order (by request, then
    # rank) would join and sort every match before the first page could be shown.
    ordering = ["-id"]
    raw_id_fields = ["volunteer", "help_request", "decided_by"]
    readonly_fields = [
        "status",
        "rank",
        "total_score",
        "score_explanation_display",
        "distance_miles",
        "shortlist_position",
        "decided_by",
        "decided_at",
        "offered_at",
        "offer_expires_at",
        "answered_at",
        "decline_reason",
        "introduced_at",
        "created_at",
    ]
    fields = ["volunteer", "help_request", *readonly_fields, "result", "feedback"]
    inlines = [MatchEventInline, OutgoingEmailInline]
    actions = ["approve_selected", "approve_as_shortlist", "reject_selected", "export_csv"]

    @admin.display(description="volunteer", ordering="volunteer__full_name")
    def volunteer_name(self, match):
        return volunteer_name(match)

    @admin.display(description="council", ordering="help_request__candidate__election__council")
    def council(self, match):
        return match.help_request.candidate.election.council

    @admin.display(description="score", ordering="total_score")
    def total_score_display(self, match):
        return f"{match.total_score:.1f}"

    @admin.display(description="distance")
    def distance_display(self, match):
        return "unknown" if match.distance_miles is None else f"{match.distance_miles:.1f} miles"

    @admin.display(description="why this score")
    def score_explanation_display(self, match):
        return score_explanation(match)

    def has_add_permission(self, request):
        # Matches come from the ranking, never by hand.
        return False

    def has_delete_permission(self, request, obj=None):
        # A match is the record of who decided what and when; erasing a volunteer anonymises it instead.
        return False

    def has_approve_permission(self, request):
        return request.user.has_perm("matching.approve_match")

    def has_export_permission(self, request):
        return request.user.has_perm("volunteers.export_matches")

    @admin.action(description="Approve selected suggestions and send offers", permissions=["approve"])
    def approve_selected(self, request, queryset):
        if not is_confirmed(request):
            return confirmation_page(
                self,
                request,
                queryset,
                title="Approve suggestions",
                steps=decisions.plan_approvals(queryset),
                button="Yes, send the offers",
            )
        self._decide(request, queryset, approve_match, "approved; offers sent")

    @admin.action(
        description="Offer to the first selected (best ranked), keep up to two more in order", permissions=["approve"]
    )
    def approve_as_shortlist(self, request, queryset):
        if not is_confirmed(request):
            steps, blocked = decisions.plan_shortlist(queryset)
            return confirmation_page(
                self,
                request,
                queryset,
                title="Offer and shortlist",
                steps=steps,
                button="Yes, send the offer and keep the shortlist",
                blocked=blocked,
            )
        match_ids = list(queryset.order_by("rank", "id").values_list("pk", flat=True))
        try:
            approve_shortlist(match_ids=match_ids, organiser=request.user)
        except MatchingError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(request, f"Offer sent; {len(match_ids) - 1} more shortlisted.", messages.SUCCESS)

    @admin.action(description="Reject selected suggestions", permissions=["approve"])
    def reject_selected(self, request, queryset):
        if not is_confirmed(request):
            return confirmation_page(
                self,
                request,
                queryset,
                title="Reject suggestions",
                steps=decisions.plan_rejections(queryset),
                button="Yes, reject them",
            )
        self._decide(request, queryset, reject_match, "rejected")

    @admin.action(description="Export selected matches as CSV", permissions=["export"])
    def export_csv(self, request, queryset):
        return exports.export_csv(dataset=exports.MATCHES, queryset=queryset, user=request.user)

    def save_model(self, request, obj, form, change):
        # A result is recorded through the lifecycle, so the match moves to completed and the change is logged.
        if change and "result" in form.changed_data and obj.result:
            try:
                record_result(match_id=obj.pk, result=obj.result, feedback=obj.feedback, actor=request.user)
            except MatchingError as error:
                self.message_user(request, str(error), messages.ERROR)
            return
        if change and "feedback" in form.changed_data:
            Match.objects.filter(pk=obj.pk).update(feedback=obj.feedback)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None or obj.status not in {Match.Status.ACCEPTED, Match.Status.COMPLETED}:
            readonly += ["result", "feedback"]
        return readonly

    def _decide(self, request, queryset, decide, verb):
        done = 0
        for match_id in queryset.values_list("pk", flat=True):
            try:
                decide(match_id=match_id, organiser=request.user)
                done += 1
            except MatchingError as error:
                self.message_user(request, str(error), messages.WARNING)
        if done:
            noun = "match" if done == 1 else "matches"
            self.message_user(request, f"{done} {noun} {verb}.", messages.SUCCESS)

    def get_urls(self):
        custom = [
            path(
                "<int:match_id>/approve/", self.admin_site.admin_view(self.approve_view), name="matching_match_approve"
            ),
            path("<int:match_id>/reject/", self.admin_site.admin_view(self.reject_view), name="matching_match_reject"),
        ]
        return custom + super().get_urls()

    def approve_view(self, request, match_id):
        return self._decision_view(
            request, match_id, approve_match, "Approved match #{}: the volunteer has been sent an offer by email."
        )

    def reject_view(self, request, match_id):
        return self._decision_view(request, match_id, reject_match, "Rejected match #{}.")

    def _decision_view(self, request, match_id, decide, success_message):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_approve_permission(request):
            raise PermissionDenied

        match = get_object_or_404(Match, pk=match_id)
        try:
            decide(match_id=match.pk, organiser=request.user)
            self.message_user(request, success_message.format(match.pk), messages.SUCCESS)
        except MatchingError as error:
            self.message_user(request, str(error), messages.ERROR)

        next_url = request.POST.get("next") or reverse(
            "admin:candidates_helprequest_change", args=[match.help_request_id]
        )
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:matching_match_changelist")
        return redirect(next_url)


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["id", "match", "kind", "status", "attempts", "sent_at", "created_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["match"]
    raw_id_fields = ["match"]
    readonly_fields = ["match", "kind", "status", "attempts", "last_error", "claimed_at", "sent_at", "created_at"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False


def decision_buttons(match: Match, next_url: str):
    """Approve and reject buttons for a suggestion, submitted through the surrounding admin form."""
    approve_url = reverse("admin:matching_match_approve", args=[match.pk])
    reject_url = reverse("admin:matching_match_reject", args=[match.pk])
    return format_html(
        '<input type="hidden" name="next" value="{}">'
        '<button type="submit" class="button default" formaction="{}" formmethod="post">Approve</button> '
        '<button type="submit" class="button" formaction="{}" formmethod="post">Reject</button>',
        next_url,
        approve_url,
        reject_url,
    )
