"""The case file PDF keeps every party's name, in whatever script it is written (issue 11)."""

from __future__ import annotations

import io
import unicodedata
from typing import Any

import pypdf
import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.factories import make_entity
from tests.licensing.factories import item, make_application, party

pytestmark = pytest.mark.django_db

NAMES = {
    "Chinese": ("华为技术有限公司", "深圳市龙岗区坂田华为基地"),
    "Korean": ("삼성전자 주식회사", "경기도 수원시 영통구 삼성로 129"),
    "Japanese": ("ソニーグループ株式会社", "東京都港区港南1丁目7番1号"),
    "Russian": ("Акционерное общество Ромашка", "Москва, улица Тверская, 7"),
    "Arabic": ("شركة محمد للتجارة", "شارع الملك فهد، الرياض"),
    "Greek": ("Ελληνική Εταιρεία Ηλεκτρονικών", "Οδός Σταδίου 10, Αθήνα"),
}


def _pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    # NFKC folds the Arabic presentation forms the shaper printed back into the letters typed.
    text = unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))
    return " ".join(text.split())  # a long address wraps inside its table cell


def test_names_and_addresses_in_every_script_come_back_out_of_the_pdf_as_text(
    sales: User, reviewer: User, client_for: Any
) -> None:
    make_entity("Huawei Technologies Co Ltd", country="CN", license_policy="presumption_of_denial")
    application = make_application(
        applicant=sales,
        submitted=True,
        destination="CN",
        parties=[
            party("Huawei Technologies Co Ltd", country="CN", address="Bantian, Shenzhen"),
            *(party(name, country="CN", address=address) for name, address in NAMES.values()),
        ],
        items=[item("EAR99", description="Office chairs")],
    )

    response = client_for(reviewer).get(reverse("licensing:case_file_pdf", args=[application.pk]))

    assert response.status_code == 200
    text = _pdf_text(response.content)
    for script, (name, address) in NAMES.items():
        assert name in text, f"{script} name lost from the PDF"
        assert address in text, f"{script} address lost from the PDF"
    # Coded values print as words.
    assert "Presumption of denial" in text
    assert "presumption_of_denial" not in text, text[max(0, text.find("presumption_of_denial") - 200) :][:300]
    # The fonts that print the names are embedded (a subset of each), so a reader without Noto
    # installed still shows them.
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    embedded = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for ref in (resources.get("/Font") or {}).values():
            font: Any = ref.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                embedded.add(str(font["/BaseFont"]).split("+")[-1])
    assert {"NotoSans-Regular", "NotoSansArabic-Regular"} <= embedded, embedded
    assert embedded - {"NotoSans-Regular", "NotoSansArabic-Regular"}, f"no CJK font embedded: {embedded}"
