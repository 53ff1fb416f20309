from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Consent, User


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
