from __future__ import annotations

from django.urls import path

from lib.api import ObtainTokenView, TokenListView, TokenRevokeView

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("auth/tokens/", TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<int:user_id>/", TokenRevokeView.as_view(), name="api-token-revoke"),
]
