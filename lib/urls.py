from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from lib import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("account/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/<int:user_id>/revoke/", views.token_revoke, name="token_revoke"),
]
