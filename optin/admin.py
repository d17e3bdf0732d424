"""The Django admin shows consent read-only: every change goes through
`optin.services`, and the ledger is never edited by anyone."""

from django.contrib import admin

from optin.models import Consent, ConsentEvent, DoNotTextEntry, OptOutReview


class ReadOnlyAdmin(admin.ModelAdmin):
    """Lists and shows rows; refuses to add, change or delete any."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "occurred_at", "bay_number", "event_type", "old_state", "new_state"]
    list_filter = ["event_type", "source"]
    list_select_related = ["bay_number"]
    date_hierarchy = "occurred_at"
    raw_id_fields = ["consent", "bay_number", "inbound_message", "acting_user"]


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["id", "bay_number", "state", "state_changed_at", "optin_requests_sent"]
    list_filter = ["state"]
    list_select_related = ["bay_number"]


@admin.register(OptOutReview)
class OptOutReviewAdmin(ReadOnlyAdmin):
    list_display = ["id", "bay_number", "received_at", "deadline", "decision", "decided_at"]
    list_filter = ["decision"]
    list_select_related = ["bay_number"]


@admin.register(DoNotTextEntry)
class DoNotTextEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "brokerage", "created_at", "removed_at"]
    list_filter = ["brokerage"]
    list_select_related = ["brokerage"]
