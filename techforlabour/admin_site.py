"""
The admin site, which lets in only staff who signed in with two factors.

Django's own admin login form takes a password and nothing else, so the login
page here hands over to allauth's sign-in, which requests the second factor.
Staff without an authenticator are sent to set one up; staff whose session
used only a password are asked for a code before any admin page loads.
"""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from accounts.roles import needs_two_factor
from accounts.two_factor import has_totp, session_passed_second_factor


class AdminSite(admin.AdminSite):
    site_header = "Tech for Labour administration"
    site_title = "Tech for Labour admin"

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        if needs_two_factor(request.user):
            return has_totp(request.user) and session_passed_second_factor(request)
        return True

    def login(self, request, extra_context=None):
        """Send people to allauth's sign-in, then on to set up or use their second factor."""
        return secure_admin_login(self._after_sign_in)(request)

    def _after_sign_in(self, request):
        user = request.user
        next_url = self._safe_next(request)
        if not has_totp(user):
            messages.info(request, "Set up two-factor authentication before you use the admin.")
            return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': next_url})}")
        if not session_passed_second_factor(request):
            return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': next_url})}")
        if not self.has_permission(request):
            raise PermissionDenied
        return redirect(next_url)

    def _safe_next(self, request) -> str:
        next_url = request.GET.get("next") or request.POST.get("next") or ""
        if next_url and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return next_url
        return reverse("admin:index", current_app=self.name)
