from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from compliance import api, rescreen_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("screen/", api.ScreenView.as_view(), name="api-screen"),
    path("screen/batch/", api.BatchScreenView.as_view(), name="api-screen-batch"),
    path("screen/batch/<int:pk>/", api.BatchStatusView.as_view(), name="api-screen-batch-status"),
    path("screen/batch/<int:pk>/result/", api.BatchResultView.as_view(), name="api-screen-batch-result"),
    path("screening-config/", api.ScreeningConfigView.as_view(), name="api-screening-config"),
    path("rescreens/", rescreen_views.RescreenListView.as_view(), name="api-rescreens"),
    path("rescreens/<int:pk>/", rescreen_views.RescreenDetailView.as_view(), name="api-rescreen-detail"),
    path("rescreens/<int:pk>/retry/", rescreen_views.RescreenRetryView.as_view(), name="api-rescreen-retry"),
]
