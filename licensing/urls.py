from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from licensing import exports, views

app_name = "licensing"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.mine, name="mine"),
    path("new/", views.create, name="create"),
    path("queue/", views.queue, name="queue"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("<int:pk>/documents/<int:doc>/", views.document, name="document"),
    path("<int:pk>/documents/<int:doc>/delete/", views.document_delete, name="document_delete"),
    path("hits/<int:pk>/clear/", views.hit_clear, name="hit_clear"),
    path("hits/<int:pk>/confirm/", views.hit_confirm, name="hit_confirm"),
    path("hits/<int:pk>/acknowledge/", views.hit_acknowledge, name="hit_acknowledge"),
    path("licences/<int:pk>/", views.licence, name="licence"),
    path("licences/<int:pk>/amend/", views.licence_amend, name="licence_amend"),
    path("licences/<int:pk>/shipments/", views.shipment_create, name="shipment_create"),
    path("licences/<int:pk>/<str:action>/", views.licence_action, name="licence_action"),
    path("entities/<int:pk>/licences/", views.entity_licences, name="entity_licences"),
    path("shipments/<int:pk>/reverse/", views.shipment_reverse, name="shipment_reverse"),
    path("<int:pk>/case-file/", exports.case_file, name="case_file"),
    path("<int:pk>/case-file.pdf", exports.case_file_pdf, name="case_file_pdf"),
]
