from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from licensing import api, catalogue_api

urlpatterns: list[URLPattern | URLResolver] = [
    path("applications/", api.ApplicationListView.as_view(), name="api-applications"),
    path("applications/assign/", api.AssignCasesView.as_view(), name="api-applications-assign"),
    path("applications/<int:pk>/", api.ApplicationDetailView.as_view(), name="api-application"),
    path("applications/<int:pk>/submit/", api.SubmitView.as_view(), name="api-application-submit"),
    path("applications/<int:pk>/copy/", api.CopyView.as_view(), name="api-application-copy"),
    path("applications/<int:pk>/withdraw/", api.WithdrawView.as_view(), name="api-application-withdraw"),
    path("applications/<int:pk>/assign/", api.AssignView.as_view(), name="api-application-assign"),
    path("applications/<int:pk>/decision/", api.DecisionView.as_view(), name="api-application-decision"),
    path("applications/<int:pk>/documents/", api.DocumentListView.as_view(), name="api-application-documents"),
    path("applications/<int:pk>/documents/<int:doc>/", api.DocumentView.as_view(), name="api-application-document"),
    path("applications/<int:pk>/history/", api.HistoryView.as_view(), name="api-application-history"),
    path("applications/<int:pk>/questions/", api.QuestionListView.as_view(), name="api-application-questions"),
    path("applications/<int:pk>/countersign/", api.CountersignView.as_view(), name="api-application-countersign"),
    path("sign-off-policy/", api.SignOffPolicyView.as_view(), name="api-sign-off-policy"),
    path("applications/<int:pk>/notes/", api.NoteListView.as_view(), name="api-application-notes"),
    path("questions/<int:pk>/reply/", api.QuestionReplyView.as_view(), name="api-question-reply"),
    path("questions/<int:pk>/withdraw/", api.QuestionWithdrawView.as_view(), name="api-question-withdraw"),
    path("address-book/", catalogue_api.AddressBookView.as_view(), name="api-address-book"),
    path("address-book/<int:pk>/", catalogue_api.AddressEntryView.as_view(), name="api-address-entry"),
    path("products/", catalogue_api.ProductListView.as_view(), name="api-products"),
    path("products/<int:pk>/", catalogue_api.ProductView.as_view(), name="api-product"),
    path("products/<int:pk>/confirm/", catalogue_api.ProductConfirmView.as_view(), name="api-product-confirm"),
    path("hits/<int:pk>/clear/", api.HitClearView.as_view(), name="api-hit-clear"),
    path("hits/<int:pk>/confirm/", api.HitConfirmView.as_view(), name="api-hit-confirm"),
    path("hits/<int:pk>/reverse/", api.HitReverseView.as_view(), name="api-hit-reverse"),
    path("hits/<int:pk>/acknowledge/", api.HitAcknowledgeView.as_view(), name="api-hit-acknowledge"),
    path("screening-config/impact/", api.ThresholdImpactView.as_view(), name="api-threshold-impact"),
    path("clearances/", api.ClearanceListView.as_view(), name="api-clearances"),
    path("clearances/<int:pk>/", api.ClearanceDetailView.as_view(), name="api-clearance"),
    path("clearances/<int:pk>/revoke/", api.ClearanceRevokeView.as_view(), name="api-clearance-revoke"),
]
