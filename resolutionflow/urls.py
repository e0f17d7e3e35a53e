from allauth.account import views as allauth_views
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import time_zone_views, views_members
from accounts.api import ApiTokenDetail, ApiTokenList, MeView, UserList
from analytics import api as analytics_api
from escalations import api as esc
from notifications import api as notes
from notifications import views as notification_views
from resolutionflow import health
from resolutionflow.metrics import metrics_view

api_v1 = [
    path("me", MeView.as_view(), name="me"),
    path("users", UserList.as_view(), name="user-list"),
    path("tokens", ApiTokenList.as_view(), name="token-list"),
    path("tokens/<str:token_id>", ApiTokenDetail.as_view(), name="token-detail"),
    path("sessions", esc.SessionListCreate.as_view(), name="session-list"),
    path("sessions/<str:session_id>", esc.SessionDetail.as_view(), name="session-detail"),
    path("sessions/<str:session_id>/steps", esc.SessionSteps.as_view(), name="session-steps"),
    path("sessions/<str:session_id>/messages", esc.SessionMessages.as_view(), name="session-messages"),
    path("sessions/<str:session_id>/escalate", esc.SessionEscalate.as_view(), name="session-escalate"),
    path("sessions/<str:session_id>/handoff", esc.SessionHandoff.as_view(), name="session-handoff"),
    path("sessions/<str:session_id>/resolve", esc.SessionResolve.as_view(), name="session-resolve"),
    path("handoffs", esc.HandoffQueue.as_view(), name="handoff-list"),
    path("handoffs/<str:handoff_id>", esc.HandoffDetail.as_view(), name="handoff-detail"),
    path("handoffs/<str:handoff_id>/claim", esc.HandoffClaim.as_view(), name="handoff-claim"),
    path("notifications", notes.NotificationList.as_view(), name="notification-list"),
    path("notifications/read-all", notes.NotificationReadAll.as_view(), name="notification-read-all"),
    path("notifications/<str:notification_id>/read", notes.NotificationRead.as_view(), name="notification-read"),
    path("webhooks", notes.WebhookList.as_view(), name="webhook-list"),
    path("webhooks/<str:webhook_id>", notes.WebhookDetail.as_view(), name="webhook-detail"),
    path("webhooks/<str:webhook_id>/rotate-secret", notes.WebhookRotateSecret.as_view(), name="webhook-rotate-secret"),
    path("webhooks/<str:webhook_id>/test", notes.WebhookTest.as_view(), name="webhook-test"),
    path("webhooks/<str:webhook_id>/deliveries", notes.WebhookDeliveryList.as_view(), name="webhook-delivery-list"),
    path("webhooks/<str:webhook_id>/deliveries/<str:delivery_id>/retry", notes.WebhookDeliveryRetry.as_view(),
         name="webhook-delivery-retry"),
    path("analytics/escalations", analytics_api.EscalationAnalytics.as_view(), name="api-analytics-escalations"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", permission_classes=[],
                                                      authentication_classes=[]), name="api-docs"),
]

# An unknown URL under /api/ gets the API's JSON 404 (the document's 404 body), pages get the HTML one.
handler404 = "resolutionflow.api.not_found"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
    # Sign-in (django-allauth, accounts/sign_in.py): /login/ is its login; password reset and
    # change, and two-factor authentication under /accounts/ (signup is closed).
    path("login/", allauth_views.LoginView.as_view(), name="login"),
    path("password_reset/", RedirectView.as_view(pattern_name="account_reset_password"), name="password-reset"),
    path("accounts/", include("allauth.urls")),
    path("analytics/", include("analytics.urls")),
    path("settings/tokens/", include("accounts.urls")),
    path("settings/members/", include("accounts.urls_members")),
    path("invite/<str:token>", views_members.invite_accept, name="invite-accept"),
    path("settings/notifications", notification_views.notification_settings, name="notification-settings"),
    path("settings/time-zone", time_zone_views.time_zone_settings, name="time-zone-settings"),
    path("settings/integrations/", notification_views.integrations, name="integrations"),
    path("settings/integrations/<str:kind>/<str:target_id>/test", notification_views.integration_test,
         name="integration-test"),
    path("settings/integrations/deliveries/<str:delivery_id>", notification_views.integration_delivery,
         name="integration-delivery"),
    path("", include("escalations.urls")),
]
