from django.contrib.auth import views as auth_views
from django.urls import path

from escalations import queue_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("sessions/", views.session_list, name="session-list"),
    path("pilot/<uuid:session_id>", views.pilot, name="pilot"),
    path("pilot/<uuid:session_id>/steps", views.step_add, name="pilot-step"),
    path("pilot/<uuid:session_id>/messages", views.message_add, name="pilot-message"),
    path("pilot/<uuid:session_id>/resolve", views.resolve, name="pilot-resolve"),
    path("pilot/<uuid:session_id>/escalate", views.escalate, name="pilot-escalate"),
    path("pilot/<uuid:session_id>/handoff", views.handoff, name="pilot-handoff"),
    path("escalations/", queue_views.queue, name="queue"),
    path("escalations/cards", queue_views.queue_cards, name="queue-cards"),
    path("escalations/metrics", queue_views.queue_metrics, name="queue-metrics"),
    path("escalations/<uuid:handoff_id>/card", queue_views.queue_card, name="queue-card"),
    path("escalations/<uuid:handoff_id>/context", queue_views.handoff_context, name="handoff-context"),
]
