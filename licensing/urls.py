from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "licensing"
urlpatterns: list[URLPattern | URLResolver] = []

# The case file export (views in lib/exports.py), kept in this namespace as `licensing:case_file`.
from django.urls import path  # noqa: E402

from lib import exports  # noqa: E402

urlpatterns += [
    path("<int:pk>/case-file/", exports.case_file, name="case_file"),
    path("<int:pk>/case-file.pdf", exports.case_file_pdf, name="case_file_pdf"),
]
