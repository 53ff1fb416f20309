from django.urls import path

from . import views

urlpatterns = [
    path("signup/", views.VolunteerSignupView.as_view(), name="volunteer_signup"),
    path("profile/", views.VolunteerProfileView.as_view(), name="volunteer_profile"),
]
