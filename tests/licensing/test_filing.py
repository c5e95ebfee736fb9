from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from licensing import services
from licensing.models import Application, Document, LineItem
from licensing.status import IllegalTransition, Status
from tests.licensing.factories import application_data, item, make_application, party

pytestmark = pytest.mark.django_db


def test_a_sales_user_files_a_draft_with_a_readable_reference(sales: User) -> None:
    application = make_application(applicant=sales)
    assert application.status == Status.DRAFT
    assert application.reference is not None
    assert application.reference.startswith("LR-")
    assert application.reference.endswith(f"{application.pk:06d}")
    assert application.parties.count() == 1
    assert application.items.get().total == Decimal("250.00")
    assert application.total_value == Decimal("250.00")
    assert application.history.first().history_user == sales


def test_line_item_totals_are_quantity_times_unit_price(sales: User) -> None:
    application = make_application(
        applicant=sales, items=[item(quantity="3", unit_price="10.50"), item("5A992", quantity="2", unit_price="100")]
    )
    assert sorted(LineItem.objects.filter(application=application).values_list("total", flat=True)) == [
        Decimal("31.50"),
        Decimal("200.00"),
    ]
    assert application.total_value == Decimal("231.50")


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"items": [item("5X002")]}, "items[0].eccn", "Enter an ECCN"),
        ({"items": [item(quantity="0")]}, "items[0].quantity", "greater than zero"),
        ({"items": [item(unit_price="-1")]}, "items[0].unit_price", "greater than zero"),
        ({"parties": [party(country="ZZ")]}, "parties[0].country", "ISO 3166"),
        ({"destination": "XX"}, "destination_country", "ISO 3166"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(
    sales: User, kwargs: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_application(actor=sales, data=application_data(**kwargs))  # type: ignore[arg-type]
    assert message in " ".join(caught.value.message_dict[field])
    assert not Application.objects.exists()


def test_a_request_without_an_end_user_or_item_cannot_be_submitted(sales: User) -> None:
    application = make_application(applicant=sales, parties=[party(role="purchaser")], items=[])
    with pytest.raises(ValidationError) as caught:
        services.submit(actor=sales, application=application)
    assert "Add at least one end user." in caught.value.messages
    assert "Add at least one line item." in caught.value.messages
    application.refresh_from_db()
    assert application.status == Status.DRAFT


def test_the_applicant_edits_their_draft_and_rows_are_kept_updated_or_removed(sales: User) -> None:
    application = make_application(applicant=sales, parties=[party("First Co"), party("Second Co", role="purchaser")])
    first, second = application.parties.order_by("id")
    data = application_data(
        parties=[party("First Co Renamed", id=first.pk), party("Third Co", role="ultimate_consignee")],
        items=[item("3A991", quantity="4", unit_price="5")],
    )
    services.update_draft(actor=sales, application=application, data=data)
    names = set(application.parties.values_list("name", flat=True))
    assert names == {"First Co Renamed", "Third Co"}
    assert application.parties.filter(pk=first.pk).exists()
    assert not application.parties.filter(pk=second.pk).exists()
    application.refresh_from_db()
    assert application.total_value == Decimal("20.00")


def test_a_party_id_from_another_request_is_refused(sales: User) -> None:
    mine = make_application(applicant=sales)
    other = make_application()
    foreign = other.parties.get()
    with pytest.raises(ValidationError, match="does not belong"):
        services.update_draft(actor=sales, application=mine, data=application_data(parties=[party(id=foreign.pk)]))
    foreign.refresh_from_db()
    assert foreign.application_id == other.pk


def test_another_sales_user_cannot_edit_someone_elses_draft(sales: User, sales2: User) -> None:
    application = make_application(applicant=sales)
    with pytest.raises(PermissionDenied):
        services.update_draft(actor=sales2, application=application, data=application_data(destination="DE"))
    application.refresh_from_db()
    assert application.destination_country == "CA"


def test_a_submitted_request_can_no_longer_be_edited(sales: User) -> None:
    application = make_application(applicant=sales, submitted=True)
    with pytest.raises(IllegalTransition, match=r"A request that is submitted cannot be edited\."):
        services.update_draft(actor=sales, application=application, data=application_data(destination="DE"))


def test_only_sales_users_file_requests(reviewer: User) -> None:
    with pytest.raises(PermissionDenied):
        services.create_application(actor=reviewer, data=application_data())


def test_documents_over_ten_megabytes_or_of_other_types_are_refused(sales: User) -> None:
    application = make_application(applicant=sales)
    big = SimpleUploadedFile("scan.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    with pytest.raises(ValidationError, match="at most 10 MB"):
        services.add_document(actor=sales, application=application, upload=big)
    script = SimpleUploadedFile("run.sh", b"#!/bin/sh", content_type="text/x-sh")
    with pytest.raises(ValidationError, match="not allowed"):
        services.add_document(actor=sales, application=application, upload=script)
    assert not Document.objects.exists()
    ok = SimpleUploadedFile("invoice.csv", b"a,b\n1,2\n", content_type="text/csv")
    document = services.add_document(actor=sales, application=application, upload=ok)
    assert (document.name, document.size) == ("invoice.csv", 8)
    assert document.history.first().history_user == sales


def test_documents_cannot_be_added_once_submitted(sales: User) -> None:
    application = make_application(applicant=sales, submitted=True)
    upload = SimpleUploadedFile("late.pdf", b"%PDF", content_type="application/pdf")
    with pytest.raises(IllegalTransition, match="cannot be edited"):
        services.add_document(actor=sales, application=application, upload=upload)
