from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy_notice, name="privacy_notice"),
    path("accessibility/", views.accessibility_statement, name="accessibility"),
    path("accounts/", include("allauth.urls")),
    path("volunteer/", include("volunteers.urls")),
    path("campaigns/", include("candidates.urls")),
    path("admin/", admin.site.urls),
]
