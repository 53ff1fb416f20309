from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.template.response import TemplateResponse
from django.utils import timezone

from .audit import Action, RequestedBy, record_privacy_action
from .models import Consent, PrivacyAuditEntry, User
from .privacy import ErasureRefused, count_rows, erase_person, export_person
from .views import json_download


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Name", {"fields": ["first_name", "last_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]
    actions = ["export_personal_data", "erase_personal_data"]

    def has_export_personal_data_permission(self, request):
        return request.user.has_perm("accounts.export_personal_data")

    def has_erase_personal_data_permission(self, request):
        return request.user.has_perm("accounts.erase_personal_data")

    @admin.action(
        description="Export everything held about the selected person (JSON)", permissions=["export_personal_data"]
    )
    def export_personal_data(self, request, queryset):
        """Export one person's data for a subject access request made by email, and record it in the audit trail."""
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one person to export their data.", messages.ERROR)
            return None
        person = queryset.get()
        data = export_person(person)
        record_privacy_action(
            action=Action.EXPORT,
            requested_by=RequestedBy.ORGANISER,
            actor=request.user,
            subject_user_id=person.pk,
            target=f"User #{person.pk}",
            row_count=count_rows(data),
        )
        return json_download(data, filename=f"tech-for-labour-user-{person.pk}-{timezone.localdate():%Y-%m-%d}.json")

    @admin.action(description="Erase the selected people's personal data", permissions=["erase_personal_data"])
    def erase_personal_data(self, request, queryset):
        """Erase people who asked for it by email, after a confirmation page."""
        people = list(queryset.order_by("pk"))
        if request.POST.get("confirm_erasure") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Erase personal data",
                "people": people,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
                "media": self.media,
            }
            return TemplateResponse(request, "accounts/admin/erase_confirmation.html", context)

        erased = 0
        for person in people:
            try:
                erase_person(user=person, actor=request.user, requested_by=RequestedBy.ORGANISER)
                erased += 1
            except ErasureRefused as error:
                self.message_user(request, str(error), messages.ERROR)
        if erased:
            self.message_user(request, f"Erased the personal data of {erased} person(s).", messages.SUCCESS)
        return None


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "purpose", "given", "notice_version", "method", "recorded_at"]
    list_filter = ["purpose", "given", "notice_version"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]
    date_hierarchy = "recorded_at"

    def has_change_permission(self, request, obj=None):
        # Consents are evidence: they are recorded, never edited.
        return False


@admin.register(PrivacyAuditEntry)
class PrivacyAuditEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "action", "requested_by", "actor", "subject_user_id", "target", "row_count", "created_at"]
    list_filter = ["action", "requested_by"]
    list_select_related = ["actor"]
    search_fields = ["=subject_user_id"]
    date_hierarchy = "created_at"
    readonly_fields = ["action", "requested_by", "actor", "subject_user_id", "target", "row_count", "created_at"]

    # The audit trail is written by the services only.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
