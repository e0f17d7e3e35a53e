"""The admin site: superusers see every account; account admins see only their own.

Django's stock site lets in `is_staff` users only. Here an active user whose role is `admin`
may use it too, and every ModelAdmin they reach is an `AccountScopedAdmin` (accounts.admin),
which filters lists, detail pages, foreign-key choices and saves by their account.

The admin signs people in through the product's one sign-in flow (django-allauth, accounts.sign_in):
the same form, the same lockout (django-axes) and the same second factor as `/login/`, so the
admin is no way around a required TOTP code.
"""

from allauth.account.views import LoginView
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.generic.edit import FormView

from accounts.sign_in import LoginForm

# Django's AdminAuthenticationForm's message for a valid password of someone the admin refuses.
ADMIN_REFUSED = ("Please enter the correct email and password for a staff account. "
                 "Note that both fields may be case-sensitive.")


def may_use_admin(user) -> bool:
    """Platform operators and account admins; False for anonymous visitors and everyone else."""
    if not (user.is_active and user.is_authenticated):
        return False
    return user.is_superuser or getattr(user, "is_account_admin", False)


class AdminLoginForm(LoginForm):
    """The login form, letting in whoever `has_permission` lets in (account admins never get
    `is_staff`), with the stock admin's message for someone it refuses."""

    def clean(self):
        cleaned_data = super().clean()
        if self.user is not None and not may_use_admin(self.user):
            self.user = None
            raise ValidationError(ADMIN_REFUSED, code="invalid_login")
        return cleaned_data


class AdminLoginView(LoginView):
    """`/admin/login/`: allauth's login with `AdminLoginForm`, on the product's login page."""

    template_name = "account/login.html"

    def get_form_class(self):
        return AdminLoginForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_use_admin(request.user):
            # Signed in without admin rights: the page says so and offers to sign in as someone
            # else (allauth would redirect a signed-in visitor, back to the admin: a loop).
            response = FormView.dispatch(self, request, *args, **kwargs)
            add_never_cache_headers(response)
            return response
        return super().dispatch(request, *args, **kwargs)

    def get_success_url(self):
        return self.get_next_url() or reverse("admin:index")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(login_action=self.request.get_full_path(), admin_login=True)
        if self.request.user.is_authenticated and not may_use_admin(self.request.user):
            context["refused_user"] = self.request.user
        return context


class ResolutionFlowAdminSite(admin.AdminSite):
    site_header = "ResolutionFlow administration"
    site_title = "ResolutionFlow admin"
    index_title = "Account administration"

    def has_permission(self, request):
        return may_use_admin(request.user)

    def login(self, request, extra_context=None):
        return AdminLoginView.as_view()(request)
