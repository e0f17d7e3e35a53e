"""DRF permission classes every view uses. Objects of another account never reach these: views
fetch inside the tenant (404). A role too low for the operation is a 403."""

from rest_framework.permissions import BasePermission


class IsAccountMember(BasePermission):
    """Authenticated, active and belonging to an account (platform operators use the admin)."""

    message = "You must belong to an account to use the API."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.account_id)


class IsStaffRole(IsAccountMember):
    """Engineer or admin of the account."""

    message = "Only engineers and admins may do this."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.is_staff_role


class IsAccountAdmin(IsAccountMember):
    message = "Only account admins may do this."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.is_account_admin
