"""The /api/v1/ namespace: each app contributes its routes in `<app>/api_urls.py`."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("lib.api_urls")),
    path("", include("entities.api_urls")),
    path("", include("licensing.api_urls")),
    path("", include("compliance.api_urls")),
]
