from django.contrib import admin

from .models import Volunteer, VolunteerLink, VolunteerSkill


class VolunteerSkillInline(admin.TabularInline):
    model = VolunteerSkill
    extra = 0


class VolunteerLinkInline(admin.TabularInline):
    model = VolunteerLink
    extra = 0


@admin.register(Volunteer)
class VolunteerAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "full_name",
        "postcode",
        "work_mode",
        "hours_per_week",
        "max_active_matches",
        "is_paused",
        "created_at",
    ]
    list_filter = ["is_paused", "work_mode", "skills__area"]
    search_fields = ["full_name", "postcode", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = [
        "grid",
        "easting",
        "northing",
        "local_authority_code",
        "last_matched_day",
        "created_at",
        "updated_at",
    ]
    inlines = [VolunteerSkillInline, VolunteerLinkInline]
    date_hierarchy = "created_at"
