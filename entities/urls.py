from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from entities import import_views, views

app_name = "entities"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.entity_list, name="list"),
    path("new/", views.entity_create, name="create"),
    path("<int:pk>/", views.entity_detail, name="detail"),
    path("<int:pk>/edit/", views.entity_edit, name="edit"),
    path("<int:pk>/delist/", views.entity_delist, name="delist"),
    path("versions/", views.version_list, name="versions"),
    path("versions/<int:number>/", views.version_detail, name="version_detail"),
    path("import/", import_views.import_upload, name="import"),
    path("import/<int:pk>/", import_views.import_job, name="import_job"),
    path("import/<int:pk>/apply/", import_views.import_apply, name="import_apply"),
    path("import/<int:pk>/status/", import_views.import_job_status, name="import_job_status"),
    path("import/<int:pk>/retry/", import_views.import_job_retry, name="import_job_retry"),
]
