from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import DefaultRouter

from entities.api import EntityViewSet, ListVersionViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("entities", EntityViewSet, basename="entity")
router.register("list-versions", ListVersionViewSet, basename="list-version")

urlpatterns: list[URLPattern | URLResolver] = [path("", include(router.urls))]
