from django.conf import settings
from django.shortcuts import render

from candidates.models import HelpRequest
from volunteers.models import Volunteer


def home(request):
    context = {
        "volunteer_count": Volunteer.objects.active().count(),
        "matched_request_count": HelpRequest.objects.filter(status=HelpRequest.Status.MATCHED).count(),
    }
    return render(request, "home.html", context)


def privacy_notice(request):
    return render(request, "privacy_notice.html", {"notice_version": settings.PRIVACY_NOTICE_VERSION})


def accessibility_statement(request):
    return render(request, "accessibility.html")
