from django.urls import path

from contacts import views

app_name = "contacts"

urlpatterns = [
    path("", views.ContactListView.as_view(), name="list"),
    path("new/", views.ContactCreateView.as_view(), name="create"),
    path("import/", views.ContactImportView.as_view(), name="import"),
    path("<int:contact_id>/", views.ContactDetailView.as_view(), name="detail"),
    path("<int:contact_id>/edit/", views.ContactUpdateView.as_view(), name="edit"),
]
