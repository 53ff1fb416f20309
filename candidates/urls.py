from django.urls import path

from . import views

urlpatterns = [
    path("ask-for-help/", views.CandidateSignupView.as_view(), name="candidate_signup"),
    path("my-requests/", views.MyRequestsView.as_view(), name="my_requests"),
    path("my-requests/new/", views.AddHelpRequestView.as_view(), name="add_help_request"),
]
