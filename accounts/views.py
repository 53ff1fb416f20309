"""Pages where a signed-in person sees and uses their rights: consents, export and deletion."""

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import consents
from .audit import Action, RequestedBy, record_privacy_action
from .forms import DeleteAccountForm, RenewPrivacyConsentForm
from .middleware import SESSION_NOTICE_VERSION_KEY
from .models import Consent
from .privacy import ErasureRefused, count_rows, erase_person, export_person

logger = logging.getLogger(__name__)


def choose_signup(request):
    """Replace allauth's bare signup, which would create an account without a profile or any consent."""
    return render(request, "accounts/choose_signup.html")


def _safe_next(request, default: str) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return default


@never_cache
@login_required
def privacy_centre(request):
    user = request.user
    context = {
        "consents": Consent.objects.filter(user=user).order_by("-recorded_at", "-id"),
        "news_consent": consents.has_consent(user, Consent.Purpose.NEWS),
        "party_relationship_held": bool(getattr(getattr(user, "volunteer", None), "party_relationship", "")),
        "notice_version": settings.PRIVACY_NOTICE_VERSION,
    }
    return render(request, "accounts/privacy_centre.html", context)


@never_cache
@login_required
@require_POST
def export_personal_data(request):
    """Download everything held about the signed-in person as one JSON file."""
    user = request.user
    data = export_person(user)
    record_privacy_action(
        action=Action.EXPORT,
        requested_by=RequestedBy.PERSON,
        actor=user,
        subject_user_id=user.pk,
        target=f"User #{user.pk}",
        row_count=count_rows(data),
    )
    return json_download(data, filename=f"tech-for-labour-my-data-{timezone.localdate():%Y-%m-%d}.json")


def json_download(data: dict, *, filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    return response


@never_cache
@login_required
def delete_account(request):
    """Ask for confirmation, then erase the signed-in person's account and personal data."""
    user = request.user
    if user.is_staff or user.is_superuser:
        return render(request, "accounts/delete_account.html", {"staff": True}, status=403)

    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            erase_person(user=user, actor=user, requested_by=RequestedBy.PERSON)
        except ErasureRefused as error:
            form.add_error(None, str(error))
        else:
            # The session row is already gone; logging out clears the cookie's
            # session and the request's user.
            logout(request)
            messages.success(request, "Your account is deleted and your details are erased.")
            return redirect("home")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/delete_account.html", {"form": form}, status=status)


@never_cache
@login_required
@require_POST
def set_news_consent(request):
    """Give or withdraw consent to news and call-outs in one click."""
    given = request.POST.get("given") == "yes"
    consents.set_news_consent(user=request.user, given=given)
    if given:
        messages.success(request, "We'll send you occasional news and call-outs for help.")
    else:
        messages.success(request, "We won't send you news or call-outs any more.")
    return redirect(_safe_next(request, default="privacy_centre"))


@never_cache
@login_required
@require_POST
def withdraw_party_support(request):
    """Delete the person's relationship to the party and record the withdrawal in one click."""
    if consents.withdraw_party_support(user=request.user):
        messages.success(request, "We have deleted your relationship to the Labour Party and recorded your choice.")
    else:
        messages.info(request, "We hold nothing about your relationship to the Labour Party.")
    return redirect(_safe_next(request, default="privacy_centre"))


@never_cache
@login_required
def renew_privacy_consent(request):
    """Ask a person to agree to the privacy notice again after it changed."""
    next_url = _safe_next(request, default="home")
    form = RenewPrivacyConsentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        consents.renew_privacy_consent(user=request.user)
        request.session[SESSION_NOTICE_VERSION_KEY] = settings.PRIVACY_NOTICE_VERSION
        messages.success(request, "Thank you. You have agreed to the updated privacy notice.")
        return redirect(next_url)
    context = {
        "form": form,
        "next_url": next_url,
        "notice_version": settings.PRIVACY_NOTICE_VERSION,
        "previous_version": consents.accepted_notice_version(request.user),
    }
    return render(request, "accounts/renew_privacy_consent.html", context, status=400 if form.errors else 200)
