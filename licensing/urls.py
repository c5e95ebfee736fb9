from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from licensing import catalogue_views, exports, views

app_name = "licensing"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.mine, name="mine"),
    path("new/", views.create, name="create"),
    path("queue/", views.queue, name="queue"),
    path("address-book/", catalogue_views.address_book, name="address_book"),
    path("address-book/<int:pk>/edit/", catalogue_views.address_edit, name="address_edit"),
    path("products/", catalogue_views.products, name="products"),
    path("products/new/", catalogue_views.product_create, name="product_create"),
    path("products/<int:pk>/", catalogue_views.product, name="product"),
    path("products/<int:pk>/confirm/", catalogue_views.product_confirm, name="product_confirm"),
    path("queue/assign/", views.bulk_assign, name="bulk_assign"),
    path("country-chart/", views.country_chart, name="country_chart"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/copy/", views.copy, name="copy"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("<int:pk>/documents/<int:doc>/", views.document, name="document"),
    path("<int:pk>/documents/<int:doc>/delete/", views.document_delete, name="document_delete"),
    path("<int:pk>/hits/review/", views.hits_review, name="hits_review"),
    path("sign-off-rules/", views.sign_off_rules, name="sign_off_rules"),
    path("<int:pk>/countersign/", views.countersign, name="countersign"),
    path("<int:pk>/notes/", views.add_note, name="add_note"),
    path("<int:pk>/questions/", views.ask_question, name="ask_question"),
    path("questions/<int:pk>/reply/", views.reply_question, name="reply_question"),
    path("questions/<int:pk>/withdraw/", views.withdraw_question, name="withdraw_question"),
    path("hits/<int:pk>/clear/", views.hit_clear, name="hit_clear"),
    path("hits/<int:pk>/confirm/", views.hit_confirm, name="hit_confirm"),
    path("hits/<int:pk>/reverse/", views.hit_reverse, name="hit_reverse"),
    path("hits/<int:pk>/acknowledge/", views.hit_acknowledge, name="hit_acknowledge"),
    path("impact/threshold/", views.threshold_impact, name="threshold_impact"),
    path("clearances/", views.clearances, name="clearances"),
    path("clearances/<int:pk>/", views.clearance, name="clearance"),
    path("clearances/<int:pk>/revoke/", views.clearance_revoke, name="clearance_revoke"),
    path("<int:pk>/case-file/", exports.case_file, name="case_file"),
    path("<int:pk>/case-file.pdf", exports.case_file_pdf, name="case_file_pdf"),
]
