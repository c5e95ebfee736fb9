from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from licensing import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("applications/", api.ApplicationListView.as_view(), name="api-applications"),
    path("applications/<int:pk>/", api.ApplicationDetailView.as_view(), name="api-application"),
    path("applications/<int:pk>/submit/", api.SubmitView.as_view(), name="api-application-submit"),
    path("applications/<int:pk>/withdraw/", api.WithdrawView.as_view(), name="api-application-withdraw"),
    path("applications/<int:pk>/assign/", api.AssignView.as_view(), name="api-application-assign"),
    path("applications/<int:pk>/decision/", api.DecisionView.as_view(), name="api-application-decision"),
    path("applications/<int:pk>/documents/", api.DocumentListView.as_view(), name="api-application-documents"),
    path("applications/<int:pk>/documents/<int:doc>/", api.DocumentView.as_view(), name="api-application-document"),
    path("applications/<int:pk>/history/", api.HistoryView.as_view(), name="api-application-history"),
    path("hits/<int:pk>/clear/", api.HitClearView.as_view(), name="api-hit-clear"),
    path("hits/<int:pk>/confirm/", api.HitConfirmView.as_view(), name="api-hit-confirm"),
    path("hits/<int:pk>/acknowledge/", api.HitAcknowledgeView.as_view(), name="api-hit-acknowledge"),
    path("licences/", api.LicenceListView.as_view(), name="api-licences"),
    path("licences/<int:pk>/", api.LicenceDetailView.as_view(), name="api-licence"),
    path("licences/<int:pk>/release/", api.LicenceReleaseView.as_view(), name="api-licence-release"),
    path("licences/<int:pk>/suspend/", api.LicenceSuspendView.as_view(), name="api-licence-suspend"),
    path("licences/<int:pk>/reinstate/", api.LicenceReinstateView.as_view(), name="api-licence-reinstate"),
    path("licences/<int:pk>/revoke/", api.LicenceRevokeView.as_view(), name="api-licence-revoke"),
    path("licences/<int:pk>/amend/", api.LicenceAmendView.as_view(), name="api-licence-amend"),
    path("licences/<int:pk>/shipments/", api.LicenceShipmentsView.as_view(), name="api-licence-shipments"),
    path("entities/<int:pk>/licences/", api.EntityLicencesView.as_view(), name="api-entity-licences"),
    path("export-checks/", api.ExportCheckView.as_view(), name="api-export-checks"),
    path("shipments/<int:pk>/reverse/", api.ShipmentReverseView.as_view(), name="api-shipment-reverse"),
]
