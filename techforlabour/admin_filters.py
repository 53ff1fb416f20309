"""
List filters shared by the admin pages of help requests, matches and candidates.

Each filter is built for the path from the listed model to its election, such
as "help_request__candidate__election", so the same choices read the same on
every page.
"""

from datetime import timedelta

from django.contrib.admin import SimpleListFilter
from django.db.models.functions import Lower
from django.utils import timezone

from candidates.models import Election

# Days to polling day: (value in the address, label, first day, last day); None is open-ended.
POLLING_DAY_BUCKETS = [
    ("passed", "Polling day has passed", None, -1),
    ("week", "In the next 7 days", 0, 7),
    ("month", "In 8 to 28 days", 8, 28),
    ("later", "More than 28 days away", 29, None),
]


def council_filter(election_path: str) -> type[SimpleListFilter]:
    """Build a filter on the council of the election at `election_path`, offering every council on record."""

    class CouncilFilter(SimpleListFilter):
        """Councils by name in any letter case, since people type them by hand."""

        title = "council"
        parameter_name = "council"

        def lookups(self, request, model_admin):
            names = {}
            for name in Election.objects.order_by(Lower("council"), "council").values_list("council", flat=True):
                names.setdefault(name.lower(), name)
            return [(name, name) for name in names.values()]

        def queryset(self, request, queryset):
            if self.value():
                return queryset.filter(**{f"{election_path}__council__iexact": self.value()})
            return queryset

    return CouncilFilter


def polling_day_filter(election_path: str) -> type[SimpleListFilter]:
    """Build a filter on how soon the polling day of the election at `election_path` is."""

    class PollingDayFilter(SimpleListFilter):
        title = "polling day"
        parameter_name = "polling_day"

        def lookups(self, request, model_admin):
            return [(value, label) for value, label, _first, _last in POLLING_DAY_BUCKETS]

        def queryset(self, request, queryset):
            for value, _label, first, last in POLLING_DAY_BUCKETS:
                if self.value() != value:
                    continue
                today = timezone.localdate()
                conditions = {}
                if first is not None:
                    conditions[f"{election_path}__polling_day__gte"] = today + timedelta(days=first)
                if last is not None:
                    conditions[f"{election_path}__polling_day__lte"] = today + timedelta(days=last)
                return queryset.filter(**conditions)
            return queryset

    return PollingDayFilter
