from django.urls import path

from . import views

urlpatterns = [
    path("ask-for-help/", views.CandidateSignupView.as_view(), name="candidate_signup"),
    path("my-requests/", views.MyRequestsView.as_view(), name="my_requests"),
    path("my-requests/new/", views.AddHelpRequestView.as_view(), name="add_help_request"),
    path("join/<str:token>/", views.InvitedCandidateSignupView.as_view(), name="candidate_invitation"),
    path("call-outs/<str:token>/", views.CallOutAnswerView.as_view(), name="callout_answer"),
]
