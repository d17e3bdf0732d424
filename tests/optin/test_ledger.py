"""The consent ledger is append-only: in the model, in the admin and, on
PostgreSQL, in the database itself."""

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, models, transaction
from django.urls import reverse

from brokerages.models import Agent
from optin.models import ConsentEvent
from tests.optin.states import opt_in
from tests.services import require_postgres


@pytest.fixture
def event(bay_number):
    return opt_in(bay_number)


def unchanged(event):
    fresh = ConsentEvent._base_manager.get(pk=event.pk)
    return (fresh.raw_text, fresh.new_state) == (event.raw_text, event.new_state)


@pytest.mark.django_db
class ModelRefusesChangeTests:
    def test_saving_an_existing_row_is_refused(self, event):
        event.raw_text = "edited"

        with pytest.raises(TypeError, match="append-only"):
            event.save()

    def test_deleting_a_row_is_refused(self, event):
        with pytest.raises(TypeError, match="append-only"):
            event.delete()

    def test_queryset_update_and_delete_are_refused(self, event):
        with pytest.raises(TypeError, match="append-only"):
            ConsentEvent.objects.filter(pk=event.pk).update(raw_text="edited")
        with pytest.raises(TypeError, match="append-only"):
            ConsentEvent.objects.all().delete()

        assert unchanged(event)


@pytest.mark.django_db
class DatabaseRefusesChangeTests:
    """On PostgreSQL the trigger refuses what slips past the model."""

    @pytest.fixture(autouse=True)
    def _postgres(self):
        require_postgres()

    def test_the_trigger_is_installed(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'optin_consentevent'::regclass "
                "AND NOT tgisinternal"
            )
            assert cursor.fetchall() == [("optin_consentevent_append_only",)]

    def test_an_orm_update_that_bypasses_the_model_is_refused(self, event):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            ConsentEvent._base_manager.filter(pk=event.pk).update(raw_text="edited")

        assert unchanged(event)

    def test_an_orm_delete_that_bypasses_the_model_is_refused(self, event):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            models.QuerySet(model=ConsentEvent).filter(pk=event.pk).delete()

        assert unchanged(event)

    def test_a_bulk_update_is_refused(self, event):
        edited = ConsentEvent._base_manager.get(pk=event.pk)
        edited.raw_text = "edited"

        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            ConsentEvent._base_manager.bulk_update([edited], ["raw_text"])

        assert unchanged(event)

    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE optin_consentevent SET new_state = 'opted_out'",
            "UPDATE optin_consentevent SET raw_text = 'edited' WHERE id = %s",
            "DELETE FROM optin_consentevent WHERE id = %s",
            "DELETE FROM optin_consentevent",
        ],
    )
    def test_raw_sql_update_and_delete_are_refused(self, event, sql):
        params = [event.pk] if "%s" in sql else []

        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)

        assert unchanged(event)

    def test_an_update_matching_no_row_is_refused_all_the_same(self, event):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("UPDATE optin_consentevent SET raw_text = 'x' WHERE id = -1")

    def test_inserting_still_works(self, bay_number):
        opt_in(bay_number)
        opt_in(bay_number, phone="+12025550143")

        assert ConsentEvent.objects.count() == 2


@pytest.mark.django_db
class LedgerAdminTests:
    @pytest.fixture
    def operator(self, client):
        user = Agent.objects.create_superuser("operator", "op@example.com", "operator-pass-123")
        client.force_login(user)
        return user

    def test_the_ledger_is_listed_and_shown(self, operator, client, event):
        assert client.get(reverse("admin:optin_consentevent_changelist")).status_code == 200
        page = client.get(reverse("admin:optin_consentevent_change", args=[event.pk]))

        assert page.status_code == 200
        assert b'name="_save"' not in page.content

    def test_the_admin_refuses_to_add_change_or_delete(self, operator, client, event):
        change = reverse("admin:optin_consentevent_change", args=[event.pk])
        delete = reverse("admin:optin_consentevent_delete", args=[event.pk])
        add = reverse("admin:optin_consentevent_add")
        changelist = reverse("admin:optin_consentevent_changelist")

        assert client.post(change, {"raw_text": "edited", "_save": "Save"}).status_code == 403
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert client.get(add).status_code == 403
        bulk = {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
        client.post(changelist, bulk)

        assert unchanged(event)
        assert ConsentEvent.objects.filter(pk=event.pk).exists()

    def test_the_admin_grants_no_write_permission(self, operator, rf):
        request = rf.get("/")
        request.user = operator
        model_admin = admin.site._registry[ConsentEvent]

        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert model_admin.has_view_permission(request)
