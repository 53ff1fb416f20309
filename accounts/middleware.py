"""Middleware for privacy: no caching of signed-in pages, and asking again after the privacy notice changes."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode

from .consents import accepted_notice_version

# The session remembers the notice version the person agreed to, so the
# database is asked once per session rather than on every page.
SESSION_NOTICE_VERSION_KEY = "accounts_privacy_notice_version"


class NoStoreForSignedInMiddleware:
    """Stop browsers and proxies from keeping any page shown to a signed-in person.

    Such pages show personal data, such as a profile, an email address or
    campaign details. On a shared computer the back button would otherwise
    show them after signing out. Views that set their own Cache-Control keep it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class PrivacyNoticeMiddleware:
    """Send a signed-in person to agree to the current privacy notice when they last agreed to an older one.

    The version they agreed to is remembered in the session, so a sign-in
    started before the notice changed is asked at its next page load.

    Staff are not asked: their use of the site rests on their role, not on
    consent. Only page loads (GET) are redirected, so a form sent from a page
    loaded before the change goes through and the next page load redirects.
    """

    exempt_url_names = (
        "renew_privacy_consent",
        "privacy_notice",
        "account_logout",
        "delete_account",
        "export_personal_data",
        "privacy_centre",
    )

    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt_paths = None

    def __call__(self, request):
        if self._must_ask(request):
            target = reverse("renew_privacy_consent")
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    def _exempt(self, path: str) -> bool:
        if self._exempt_paths is None:
            self._exempt_paths = {reverse(name) for name in self.exempt_url_names}
        return path in self._exempt_paths or path.startswith("/" + settings.STATIC_URL.lstrip("/"))

    def _must_ask(self, request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_staff or request.method not in ("GET", "HEAD"):
            return False
        current = settings.PRIVACY_NOTICE_VERSION
        if request.session.get(SESSION_NOTICE_VERSION_KEY) == current:
            return False
        accepted = accepted_notice_version(user)
        if accepted is None or accepted == current:
            # A person who never agreed (such as an account an organiser
            # created) is not asked here, because signup asks everyone else.
            request.session[SESSION_NOTICE_VERSION_KEY] = current
            return False
        return not self._exempt(request.path)
