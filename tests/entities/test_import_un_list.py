"""The UN Security Council list imports, and its original-script names are screened as names."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User

from compliance.index import build_index
from compliance.matcher import DEFAULT_THRESHOLD
from entities.importers import ImportFormatError, import_list, parse_list
from entities.models import Alias, Entity

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


def test_the_un_list_imports_with_original_script_names_as_aliases(shared_data: Path, compliance_admin: User) -> None:
    result = import_list(actor=compliance_admin, path=shared_data / "un/un-consolidated-2026-02-27.xml")
    assert result.fmt == "un-xml" and result.added == 1003
    entity = Entity.objects.get(source="UN", entity_number="TAi.111")
    assert entity.name == "HAMDULLAH SUNANI"
    assert "حمد الله سنانی" in set(Alias.objects.filter(entity=entity).values_list("name", flat=True))

    index = build_index()
    by_arabic = index.search("حمد الله سنانی", threshold=DEFAULT_THRESHOLD)
    assert by_arabic[0].key == entity.pk
    # A Latin spelling the list does not carry meets the listed Arabic name.
    by_latin = index.search("Muzahim Sab Hasan Tikriti", threshold=DEFAULT_THRESHOLD)
    assert by_latin and by_latin[0].name == "MUZAHIM SA'B HASSAN AL-TIKRITI"


def test_an_xml_file_with_entities_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    hostile = tmp_path / "un.xml"
    hostile.write_text(
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><FIRST_NAME>&b;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS>"
        "</CONSOLIDATED_LIST>",
        encoding="utf-8",
    )
    with pytest.raises(ImportFormatError, match="XML entities"):
        parse_list(hostile, "un-xml")
    assert not Entity.objects.exists()
