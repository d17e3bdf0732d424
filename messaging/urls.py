from django.urls import path, re_path

from messaging import bulk_views, views, webhooks

app_name = "messaging"

urlpatterns = [
    path("webhooks/twilio/sms/", webhooks.twilio_inbound, name="twilio_inbound"),
    path("webhooks/twilio/status/", webhooks.twilio_status, name="twilio_status"),
    # Twilio's console is often set without the trailing slash, and a redirect
    # would lose the POST (FC-04), so that form is served too. The signature
    # is checked over the URL as received.
    re_path(r"^webhooks/twilio/sms$", webhooks.twilio_inbound),
    re_path(r"^webhooks/twilio/status$", webhooks.twilio_status),
    path("messages/", views.InboxView.as_view(), name="inbox"),
    path(
        "messages/numbers/<int:bay_number_id>/",
        views.InboxView.as_view(),
        name="number_inbox",
    ),
    path(
        "messages/numbers/<int:bay_number_id>/conversations/",
        views.ConversationListView.as_view(),
        name="conversation_list",
    ),
    path(
        "messages/numbers/<int:bay_number_id>/details/",
        views.BayNumberDetailView.as_view(),
        name="number_detail",
    ),
    path("messages/<int:contact_id>/", views.ConversationView.as_view(), name="conversation"),
    path(
        "messages/<int:contact_id>/updates/",
        views.ConversationUpdatesView.as_view(),
        name="conversation_updates",
    ),
    path("messages/<int:contact_id>/send/", views.SendMessageView.as_view(), name="send"),
    path(
        "messages/<int:contact_id>/opt-in-request/",
        views.SendOptinRequestView.as_view(),
        name="send_optin_request",
    ),
    path(
        "messages/held/<int:message_id>/decide/",
        views.HeldTextDecideView.as_view(),
        name="held_text_decide",
    ),
    path("templates/", views.TemplateListView.as_view(), name="templates"),
    path(
        "templates/<int:template_id>/edit/",
        views.TemplateUpdateView.as_view(),
        name="template_edit",
    ),
    path(
        "templates/<int:template_id>/delete/",
        views.TemplateDeleteView.as_view(),
        name="template_delete",
    ),
    path("dev/phone/", views.DevPhoneView.as_view(), name="dev_phone"),
    path("messages/bulk/new/", bulk_views.BulkSendCreateView.as_view(), name="bulk_new"),
    path(
        "messages/bulk/<int:bulk_id>/",
        bulk_views.BulkSendDetailView.as_view(),
        name="bulk_detail",
    ),
    path(
        "messages/bulk/<int:bulk_id>/progress/",
        bulk_views.BulkSendProgressView.as_view(),
        name="bulk_progress",
    ),
]
