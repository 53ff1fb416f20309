"""
Rank by loading every volunteer into Python and applying `matching.scoring`.

This is the slow path, kept because it is obviously correct: the tests check the
database ranking against it, and the benchmark measures how much faster the
database ranking is. Production code ranks with `matching.ranking`.
"""

from collections import Counter
from datetime import date

from allauth.account.models import EmailAddress
from django.db.models import Prefetch
from django.utils import timezone

from candidates.models import HelpRequest
from volunteers.models import Volunteer, VolunteerSkill

from .models import Match
from .scoring import MatchingConfig, RequestFacts, Score, VolunteerFacts, rank


def request_facts(help_request: HelpRequest) -> RequestFacts:
    candidate = help_request.candidate
    return RequestFacts(
        id=help_request.pk,
        skill_area=help_request.skill_area,
        work_mode=help_request.work_mode,
        easting=candidate.easting,
        northing=candidate.northing,
        estimated_hours=help_request.estimated_hours,
        needed_by=help_request.needed_by,
    )


def all_volunteer_facts(help_request: HelpRequest) -> list[VolunteerFacts]:
    """Load every volunteer who is not erased, as facts for the reference scorer, in five queries."""
    volunteers = list(
        Volunteer.objects.filter(anonymised_at__isnull=True).prefetch_related(
            Prefetch("skills", queryset=VolunteerSkill.objects.only("volunteer_id", "area", "level"))
        )
    )
    verified_user_ids = set(EmailAddress.objects.filter(verified=True).values_list("user_id", flat=True))
    active_counts = Counter(Match.objects.active().values_list("volunteer_id", flat=True))
    already_considered = set(
        Match.objects.filter(help_request=help_request)
        .exclude(status=Match.Status.SUGGESTED)
        .values_list("volunteer_id", flat=True)
    )
    turned_down = set(
        Match.objects.filter(
            help_request__candidate_id=help_request.candidate_id, status__in=Match.CLOSED_TO_VOLUNTEER_STATUSES
        ).values_list("volunteer_id", flat=True)
    )

    return [
        VolunteerFacts(
            id=volunteer.pk,
            skill_levels={skill.area: skill.level for skill in volunteer.skills.all()},
            work_mode=volunteer.work_mode,
            easting=volunteer.easting,
            northing=volunteer.northing,
            travel_radius_miles=volunteer.travel_radius_miles,
            hours_per_week=volunteer.hours_per_week,
            available_from=volunteer.available_from,
            available_until=volunteer.available_until,
            active_matches=active_counts[volunteer.pk],
            max_active_matches=volunteer.max_active_matches,
            last_matched_day=volunteer.last_matched_day,
            is_paused=volunteer.is_paused,
            email_verified=volunteer.user_id in verified_user_ids,
            turned_down=volunteer.pk in already_considered or volunteer.pk in turned_down,
        )
        for volunteer in volunteers
    ]


def reference_ranking(
    help_request: HelpRequest, *, config: MatchingConfig | None = None, today: date | None = None
) -> list[tuple[VolunteerFacts, Score]]:
    config = config or MatchingConfig.from_settings()
    today = today or timezone.localdate()
    return rank(all_volunteer_facts(help_request), request_facts(help_request), config=config, today=today)
