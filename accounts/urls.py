from django.urls import path

from . import views

urlpatterns = [
    path("", views.privacy_centre, name="privacy_centre"),
    path("export/", views.export_personal_data, name="export_personal_data"),
    path("delete/", views.delete_account, name="delete_account"),
    path("consents/news/", views.set_news_consent, name="set_news_consent"),
    path("consents/party-support/withdraw/", views.withdraw_party_support, name="withdraw_party_support"),
    path("privacy-notice/", views.renew_privacy_consent, name="renew_privacy_consent"),
]
