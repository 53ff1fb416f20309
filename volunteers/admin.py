import re

from allauth.account.models import EmailAddress
from django.contrib import admin, messages
from django.contrib.admin import SimpleListFilter
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch
from django.urls import path

from accounts.privacy import ErasureRefused, erase_person
from matching.postcodes import InvalidPostcode, normalise_postcode
from techforlabour import exports
from techforlabour.admin_confirm import Step, confirmation_page, is_confirmed

from . import admin_import
from .models import DataTransfer, SkillArea, Volunteer, VolunteerLink, VolunteerSkill
from .tasks import send_import_invitation

# The first half of a postcode, such as B1 or SW1A, typed to find everyone in a district.
OUTWARD_CODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")


class VolunteerSkillInline(admin.TabularInline):
    model = VolunteerSkill
    extra = 0


class VolunteerLinkInline(admin.TabularInline):
    model = VolunteerLink
    extra = 0
    # A link typed without a scheme becomes https://, the default from Django 6 onwards.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class SkillAreaFilter(SimpleListFilter):
    """Volunteers with a skill in an area, found with EXISTS so that nobody is listed twice."""

    title = "skill area"
    parameter_name = "skill"

    def lookups(self, request, model_admin):
        return SkillArea.choices

    def queryset(self, request, queryset):
        if self.value() in SkillArea.values:
            skills = VolunteerSkill.objects.filter(volunteer=OuterRef("pk"), area=self.value())
            return queryset.filter(Exists(skills))
        return queryset


def verified_address():
    return EmailAddress.objects.filter(user=OuterRef("user"), verified=True)


class EmailConfirmedFilter(SimpleListFilter):
    title = "email address"
    parameter_name = "confirmed"

    def lookups(self, request, model_admin):
        return [("yes", "Confirmed"), ("no", "Not confirmed")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(Exists(verified_address()))
        if self.value() == "no":
            return queryset.exclude(Exists(verified_address()))
        return queryset


class AwaitingConfirmationFilter(SimpleListFilter):
    """Imported volunteers who have not yet confirmed they want to join, and so have not consented."""

    title = "imported"
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [("yes", "Imported, not yet confirmed"), ("joined", "Imported and confirmed")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(imported_at__isnull=False).exclude(Exists(verified_address()))
        if self.value() == "joined":
            return queryset.filter(Exists(verified_address()), imported_at__isnull=False)
        return queryset


@admin.register(Volunteer)
class VolunteerAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "full_name",
        "email",
        "postcode",
        "skill_list",
        "work_mode",
        "hours_per_week",
        "is_paused",
        "email_confirmed_display",
        "created_at",
    ]
    list_filter = [
        "is_paused",
        "work_mode",
        SkillAreaFilter,
        EmailConfirmedFilter,
        AwaitingConfirmationFilter,
    ]
    search_fields = ["full_name", "postcode", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = [
        "grid",
        "easting",
        "northing",
        "local_authority_code",
        "last_matched_day",
        "imported_at",
        "anonymised_at",
        "created_at",
        "updated_at",
    ]
    inlines = [VolunteerSkillInline, VolunteerLinkInline]
    # No date hierarchy: its list of months scans every volunteer on each page load, and
    # the dashboard charts signups by week instead. The total count is skipped for the same reason.
    show_full_result_count = False
    list_per_page = 50
    actions = ["export_csv", "resend_invitation", "erase_selected"]
    change_list_template = "admin/volunteers/volunteer/change_list.html"

    def get_queryset(self, request):
        # The confirmed addresses of the listed page only, in one query: an EXISTS in the
        # SELECT list makes PostgreSQL hash every confirmed address before it applies LIMIT.
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("skills", queryset=VolunteerSkill.objects.order_by("area")),
                Prefetch(
                    "user__emailaddress_set",
                    queryset=EmailAddress.objects.filter(verified=True),
                    to_attr="confirmed_addresses",
                ),
            )
        )

    def get_search_results(self, request, queryset, search_term):
        """Search by email address when the term has an @, by postcode when it is one, otherwise by name.

        Each term looks in one column only, so a search over 100,000 volunteers
        reads one column instead of joining every account to compare three.
        """
        words = search_term.split()
        if not words:
            return queryset, False
        if len(words) == 1 and "@" in words[0]:
            # Addresses are stored in lower case, so the unique index on them serves this.
            return queryset.filter(user__email=words[0].lower()), False
        try:
            postcode = normalise_postcode(search_term)
        except InvalidPostcode:
            postcode = None
        if postcode:
            return queryset.filter(postcode=postcode), False
        if len(words) == 1 and OUTWARD_CODE.fullmatch(words[0].upper()):
            return queryset.filter(postcode__startswith=words[0].upper() + " "), False
        for word in words:
            queryset = queryset.filter(full_name__icontains=word)
        return queryset, False

    @admin.display(description="email", ordering="user__email")
    def email(self, volunteer):
        return volunteer.user.email if volunteer.user else ""

    @admin.display(description="skills")
    def skill_list(self, volunteer):
        return ", ".join(skill.get_area_display() for skill in volunteer.skills.all())

    @admin.display(description="email confirmed", boolean=True)
    def email_confirmed_display(self, volunteer):
        return email_confirmed(volunteer)

    # Deleting a person must blank their details and keep their matches for the counts,
    # which only the erasure action does; Django's own delete would remove the matches' volunteer
    # row outright and leave their account behind.
    def has_delete_permission(self, request, obj=None):
        return False

    def has_export_permission(self, request):
        return request.user.has_perm("volunteers.export_volunteers")

    def has_import_permission(self, request):
        return request.user.has_perm("volunteers.import_volunteers")

    def has_erase_permission(self, request):
        return request.user.has_perm("accounts.erase_personal_data")

    @admin.action(description="Export selected volunteers as CSV", permissions=["export"])
    def export_csv(self, request, queryset):
        return exports.export_csv(dataset=exports.VOLUNTEERS, queryset=queryset, user=request.user)

    @admin.action(description="Send the invitation to join again (imported volunteers)", permissions=["import"])
    def resend_invitation(self, request, queryset):
        volunteers = list(queryset.order_by("pk"))
        if not is_confirmed(request):
            steps = [_invitation_step(volunteer) for volunteer in volunteers]
            return confirmation_page(
                self, request, queryset, title="Send the invitation again", steps=steps, button="Yes, send them"
            )
        waiting = [volunteer for volunteer in volunteers if _invitation_step(volunteer).will_happen]
        for volunteer in waiting:
            send_import_invitation.delay_on_commit(volunteer.pk)
        self.message_user(request, f"Invitation sent again to {len(waiting)} volunteer(s).", messages.SUCCESS)

    @admin.action(description="Erase the selected volunteers' personal data", permissions=["erase"])
    def erase_selected(self, request, queryset):
        volunteers = list(queryset.select_related("user").order_by("pk"))
        if not is_confirmed(request):
            steps = [_erasure_step(volunteer) for volunteer in volunteers]
            return confirmation_page(
                self, request, queryset, title="Erase personal data", steps=steps, button="Yes, erase them"
            )
        erased = 0
        for volunteer in volunteers:
            if volunteer.user is None:
                continue
            try:
                erase_person(user=volunteer.user, actor=request.user)
            except ErasureRefused as error:
                self.message_user(request, str(error), messages.ERROR)
                continue
            erased += 1
        if erased:
            self.message_user(request, f"Erased the personal data of {erased} volunteer(s).", messages.SUCCESS)

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(lambda request: view(self, request))

        custom = [
            path("import/", wrap(admin_import.upload_view), name="volunteers_volunteer_import"),
            path("import/columns/", wrap(admin_import.columns_view), name="volunteers_volunteer_import_columns"),
            path("import/preview/", wrap(admin_import.preview_view), name="volunteers_volunteer_import_preview"),
        ]
        return custom + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context=extra_context)


def email_confirmed(volunteer: Volunteer) -> bool:
    """Tell whether the volunteer has a confirmed address, from the addresses prefetched by the admin."""
    return bool(volunteer.user and volunteer.user.confirmed_addresses)


def _invitation_step(volunteer: Volunteer) -> Step:
    if volunteer.imported_at is None:
        return Step(f"Volunteer #{volunteer.pk} signed up themselves, so there is no invitation to send.", False)
    if volunteer.user is None or volunteer.anonymised_at:
        return Step(f"Volunteer #{volunteer.pk}'s details have been erased.", False)
    if email_confirmed(volunteer):
        return Step(f"Volunteer #{volunteer.pk} ({volunteer.full_name}) has already confirmed.", False)
    return Step(
        f"Volunteer #{volunteer.pk} ({volunteer.full_name}) is sent a new link to confirm they would like to join."
    )


def _erasure_step(volunteer: Volunteer) -> Step:
    if volunteer.user is None:
        return Step(f"Volunteer #{volunteer.pk} has no account left: their details were already erased.", False)
    if volunteer.user.is_staff or volunteer.user.is_superuser:
        return Step(f"Volunteer #{volunteer.pk} is a member of staff: remove their staff status first.", False)
    return Step(
        f"Volunteer #{volunteer.pk} ({volunteer.full_name}): account, email addresses and sessions deleted; "
        "name, postcode, bio and links blanked; their matches kept without them, for the network's counts."
    )


@admin.register(DataTransfer)
class DataTransferAdmin(admin.ModelAdmin):
    """The record of every import and export; written by the import and export code only."""

    list_display = ["id", "kind", "row_count", "user", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = ["kind", "row_count", "user", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
