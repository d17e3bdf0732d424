from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied


class BrokerageAdminRequiredMixin(LoginRequiredMixin):
    """Admin screens: visitors are sent to log in, anyone who is not an admin
    of a brokerage gets 403. `self.brokerage` is the admin's own brokerage,
    the only one every query of these views reaches."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.is_brokerage_admin:
            raise PermissionDenied("Only brokerage admins can open this page.")
        self.brokerage = request.user.brokerage
        return super().dispatch(request, *args, **kwargs)
