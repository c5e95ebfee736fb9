from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from entities import views

app_name = "entities"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.entity_list, name="list"),
    path("new/", views.entity_create, name="create"),
    path("<int:pk>/", views.entity_detail, name="detail"),
    path("<int:pk>/edit/", views.entity_edit, name="edit"),
    path("<int:pk>/delist/", views.entity_delist, name="delist"),
    path("versions/", views.version_list, name="versions"),
    path("versions/<int:number>/", views.version_detail, name="version_detail"),
]
