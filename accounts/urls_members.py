"""The members page, under /settings/members/ (resolutionflow/urls.py); the invite link is
`/invite/<token>` (views_members.invite_accept)."""

from django.urls import path

from accounts import views_members as views

urlpatterns = [
    path("", views.members_page, name="members"),
    path("invite", views.invite_create, name="member-invite"),
    path("invites/<str:invite_id>/revoke", views.invite_revoke, name="member-invite-revoke"),
    path("<str:member_id>/role", views.member_role, name="member-role"),
    path("<str:member_id>/deactivate", views.member_deactivate, name="member-deactivate"),
    path("<str:member_id>/reactivate", views.member_reactivate, name="member-reactivate"),
]
