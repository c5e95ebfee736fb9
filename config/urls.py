"""Top-level URLs: each app's pages, the versioned API, the OpenAPI schema and its docs."""

from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace, csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from entities.exports import list_csv
from licensing.exports import decisions_csv

# The API docs run third-party bundles (from drf-spectacular-sidecar, served by this server), so
# their pages alone get what those bundles need beyond the site-wide policy in config/settings.py.
# Swagger UI's stylesheet draws its icons from data: URIs; its start-up script is served as a
# file by the split view (`?script`) instead of inline.
api_docs = csp_update({"img-src": ["data:"]})(SpectacularSwaggerSplitView.as_view(url_name="schema"))
# ReDoc styles itself by injecting <style> elements at run time (styled-components), draws icons
# from data: URIs and runs its search in a worker made from a blob: URL; without any of the three
# the page stays blank or logs refusals (tests/browser/test_content_security_policy.py). Scripts
# stay 'self' only.
api_redoc = csp_replace(
    {"style-src": [SELF, UNSAFE_INLINE], "img-src": [SELF, "data:"], "worker-src": [SELF, "blob:"]}
)(SpectacularRedocView.as_view(url_name="schema"))

urlpatterns = [
    path("", include("lib.urls")),
    path("exports/decisions.csv", decisions_csv, name="export_decisions"),
    path("exports/list.csv", list_csv, name="export_list"),
    path("entities/", include("entities.urls")),
    path("licensing/", include("licensing.urls")),
    path("compliance/", include("compliance.urls")),
    path("api/v1/", include("config.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/redoc/", api_redoc, name="api-redoc"),
    path("django-admin/", admin.site.urls),
]
