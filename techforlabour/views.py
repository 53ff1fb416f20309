from django.conf import settings
from django.db.models import Q
from django.shortcuts import render

from candidates.models import Candidate
from matching.models import Match
from volunteers.models import Volunteer

INTRODUCED_STATUSES = [Match.Status.ACCEPTED, Match.Status.COMPLETED]


def home(request):
    helped = Candidate.objects.filter(help_requests__matches__status__in=INTRODUCED_STATUSES).distinct()
    context = {
        "volunteer_count": Volunteer.objects.active().count(),
        # Campaigns, not requests: a campaign helped with three pieces of work counts once.
        "matched_request_count": helped.count(),
        "campaigns_won_count": helped.filter(
            Q(result=Candidate.Result.WON) | Q(help_requests__matches__result=Match.Result.WON)
        )
        .distinct()
        .count(),
    }
    return render(request, "home.html", context)


def privacy_notice(request):
    return render(request, "privacy_notice.html", {"notice_version": settings.PRIVACY_NOTICE_VERSION})


def accessibility_statement(request):
    return render(request, "accessibility.html")
