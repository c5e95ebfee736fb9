from __future__ import annotations

from django.urls import path

from lib.api import ObtainTokenView

urlpatterns = [path("auth/token/", ObtainTokenView.as_view(), name="api-token")]
