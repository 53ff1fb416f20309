from django.urls import path

from . import views

urlpatterns = [
    path("offer/<str:token>/", views.RespondToOfferView.as_view(), name="respond_to_offer"),
    path("campaign/<str:token>/", views.CampaignFeedbackView.as_view(), name="campaign_feedback"),
]
