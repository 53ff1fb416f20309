from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from candidates import views as candidates_views

from . import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy_notice, name="privacy_notice"),
    path("accessibility/", views.accessibility_statement, name="accessibility"),
    # Before allauth's URLs: its bare signup would create an account with no profile and no consent.
    path("accounts/signup/", accounts_views.choose_signup, name="choose_signup"),
    path("accounts/", include("allauth.urls")),
    # A signed-in person's consents, data export and account deletion.
    path("account/", include("accounts.urls")),
    path("volunteer/", include("volunteers.urls")),
    path("campaigns/", include("candidates.urls")),
    path("matches/", include("matching.urls")),
    # The network's results for organisers, and a read-only copy they can share by a signed link.
    path("reports/", candidates_views.NetworkReportView.as_view(), name="network_report"),
    path("reports/shared/<str:token>/", candidates_views.SharedReportView.as_view(), name="shared_report"),
    path("admin/", admin.site.urls),
    # For the proxy and monitors; SECURE_REDIRECT_EXEMPT in production settings lets them answer over HTTP.
    path("healthz", health.healthz, name="healthz"),
    path("livez", health.livez, name="livez"),
]
