from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.api_tokens, name="api-tokens"),
    path("<str:token_id>/revoke", views.api_token_revoke_view, name="api-token-revoke"),
]
