from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from compliance import rescreen_views, views

app_name = "compliance"
urlpatterns: list[URLPattern | URLResolver] = [
    path("screen/", views.screen, name="screen"),
    path("batch/", views.batch, name="batch"),
    path("batch/<int:pk>/", views.batch_detail, name="batch-detail"),
    path("batch/<int:pk>/status/", views.batch_status, name="batch-status"),
    path("batch/<int:pk>/download/", views.batch_download, name="batch-download"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/clearances/", views.clearance_settings, name="clearance-settings"),
    path("rescreens/", rescreen_views.rescreens, name="rescreens"),
    path("rescreens/status/", rescreen_views.rescreens_status, name="rescreens-status"),
    path("rescreens/<int:pk>/retry/", rescreen_views.rescreen_retry, name="rescreen-retry"),
]
