from django.urls import path

from registration import number_views, views

app_name = "registration"

urlpatterns = [
    path("registration/", views.RegistrationStatusView.as_view(), name="status"),
    path("registration/brand/", views.BrandView.as_view(), name="brand"),
    path("registration/campaign/", views.CampaignView.as_view(), name="campaign"),
    path("registration/submit/", views.SubmitRegistrationView.as_view(), name="submit"),
    path(
        "registration/alerts/<int:alert_id>/dismiss/",
        views.DismissAlertView.as_view(),
        name="alert_dismiss",
    ),
    path("numbers/", number_views.NumberListView.as_view(), name="numbers"),
    path("numbers/search/", number_views.NumberSearchView.as_view(), name="number_search"),
    path("numbers/buy/", number_views.NumberBuyView.as_view(), name="number_buy"),
    path(
        "numbers/<int:bay_number_id>/assign/",
        number_views.NumberAssignView.as_view(),
        name="number_assign",
    ),
    path(
        "numbers/<int:bay_number_id>/release/",
        number_views.NumberReleaseView.as_view(),
        name="number_release",
    ),
]
