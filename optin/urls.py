from django.urls import path

from optin import views

app_name = "optin"

urlpatterns = [
    path("reviews/", views.ReviewListView.as_view(), name="reviews"),
    path("reviews/<int:review_id>/decide/", views.ReviewDecideView.as_view(), name="review_decide"),
    path("contacts/<int:contact_id>/", views.ContactConsentView.as_view(), name="contact_consent"),
    path(
        "contacts/<int:contact_id>/opt-out/",
        views.RecordOptOutView.as_view(),
        name="record_optout",
    ),
    path("consents/<int:consent_id>/proof/", views.ProofView.as_view(), name="proof"),
    path("consents/<int:consent_id>/proof.csv", views.ProofCsvView.as_view(), name="proof_csv"),
    path("do-not-text/", views.DoNotTextListView.as_view(), name="do_not_text"),
    path(
        "do-not-text/<int:entry_id>/edit/",
        views.DoNotTextEditView.as_view(),
        name="do_not_text_edit",
    ),
    path(
        "do-not-text/<int:entry_id>/remove/",
        views.DoNotTextRemoveView.as_view(),
        name="do_not_text_remove",
    ),
    path("export/", views.LedgerExportView.as_view(), name="export"),
    path("export/ledger.csv", views.LedgerCsvView.as_view(), name="export_csv"),
]
