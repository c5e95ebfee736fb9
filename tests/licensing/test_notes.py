"""Case notes: internal unless shared, append-only, attributed, @mentions told through the outbox."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from lib.models import Notification
from lib.roles import Role
from licensing import services
from licensing.models import CaseNote, NotesAreAppendOnly
from licensing.services import mentioned_usernames
from licensing.status import IllegalTransition
from licensing.timeline import build_timeline
from tests.factories import make_user
from tests.licensing.factories import make_application

pytestmark = pytest.mark.django_db


def test_a_mention_notifies_that_user_through_the_outbox(sales: User, reviewer: User) -> None:
    colleague = make_user(Role.REVIEWER, username="ana")
    colleague.email = "ana@example.com"
    colleague.save()
    application = make_application(applicant=sales, submitted=True)
    note = services.add_note(actor=reviewer, application=application, text="@ana can you check the consignee?")
    assert list(note.mentioned.all()) == [colleague]
    mail = Notification.objects.get(key=f"note-mention:{note.pk}:{colleague.pk}")
    assert mail.recipients == ["ana@example.com"] and "check the consignee" in mail.body
    assert not Notification.objects.filter(key=f"note-shared:{note.pk}").exists()


def test_mentions_are_words_not_email_addresses() -> None:
    assert mentioned_usernames("Ask @ana and @bo.b. Mail x@example.com, then @ana again.") == ["ana", "bo.b"]


def test_a_mention_nobody_can_receive_is_refused_not_ignored(sales: User, reviewer: User) -> None:
    application = make_application(applicant=sales, submitted=True)
    with pytest.raises(ValidationError, match="No active user is called @nobody"):
        services.add_note(actor=reviewer, application=application, text="@nobody please look")
    with pytest.raises(ValidationError, match="internal note is not shown to the applicant"):
        services.add_note(actor=reviewer, application=application, text=f"@{sales.username} FYI")
    assert not CaseNote.objects.exists()
    shared = services.add_note(
        actor=reviewer, application=application, text=f"@{sales.username} please confirm.", visible_to_applicant=True
    )
    assert list(shared.mentioned.all()) == [sales]
    assert Notification.objects.filter(key=f"note-shared:{shared.pk}").exists()


def test_notes_are_append_only(sales: User, reviewer: User) -> None:
    note = services.add_note(actor=reviewer, application=make_application(applicant=sales, submitted=True), text="A")
    note.text = "B"
    with pytest.raises(NotesAreAppendOnly):
        note.save()
    with pytest.raises(NotesAreAppendOnly):
        note.delete()
    assert CaseNote.objects.get().text == "A"


def test_who_may_write_a_note(sales: User, sales2: User, reviewer: User, compliance_admin: User, auditor: User) -> None:
    application = make_application(applicant=sales, submitted=True)
    services.add_note(actor=compliance_admin, application=application, text="Admin's note.")
    for someone in (sales, sales2, auditor):
        with pytest.raises(PermissionDenied):
            services.add_note(actor=someone, application=application, text="Not allowed.")
    own = make_application(applicant=make_user(Role.SALES, username="dual"), submitted=True)
    own.applicant.groups.add(*reviewer.groups.all())
    with pytest.raises(PermissionDenied, match="segregation"):
        services.add_note(actor=own.applicant, application=own, text="My own case.")
    with pytest.raises(IllegalTransition, match="draft"):
        services.add_note(actor=reviewer, application=make_application(applicant=sales), text="Too early.")


def test_the_applicant_sees_only_shared_notes_on_the_page_api_timeline_and_case_file(
    sales: User,
    reviewer: User,
    auditor: User,
    client_for: Callable[[User], Client],
    api_for: Callable[[User], APIClient],
) -> None:
    application = make_application(applicant=sales, submitted=True)
    services.add_note(actor=reviewer, application=application, text="Internal: the consignee looks like a front.")
    services.add_note(
        actor=reviewer,
        application=application,
        text="Shared: we are checking the consignee.",
        visible_to_applicant=True,
    )
    for url in (
        reverse("licensing:detail", args=[application.pk]),
        reverse("licensing:case_file", args=[application.pk]),
    ):
        as_sales = client_for(sales).get(url).content.decode()
        assert "Shared: we are checking" in as_sales and "looks like a front" not in as_sales
        as_auditor = client_for(auditor).get(url).content.decode()
        assert "Shared: we are checking" in as_auditor and "looks like a front" in as_auditor
    api_notes = api_for(sales).get(reverse("api-application-notes", args=[application.pk])).json()
    assert [n["text"] for n in api_notes] == ["Shared: we are checking the consignee."]
    history = api_for(sales).get(reverse("api-application-history", args=[application.pk])).json()
    assert "looks like a front" not in str(history) and "Shared: we are checking" in str(history)
    reviewer_view = [e for e in build_timeline(application, internal=True) if e.subject == "Internal note"]
    assert reviewer_view[0].actor == reviewer.username


def test_notes_through_the_page_and_the_api(
    sales: User, reviewer: User, client_for: Callable[[User], Client], api_for: Callable[[User], APIClient]
) -> None:
    application = make_application(applicant=sales, submitted=True)
    response = client_for(reviewer).post(
        reverse("licensing:add_note", args=[application.pk]),
        {"text": "Checked the address.", "visible_to_applicant": ""},
    )
    assert response.status_code == 302
    assert CaseNote.objects.get().visible_to_applicant is False
    created = api_for(reviewer).post(
        reverse("api-application-notes", args=[application.pk]),
        {"text": "Correction: the address is the old one.", "visible_to_applicant": True},
        format="json",
    )
    assert created.status_code == 201 and created.json()["author"] == reviewer.username
    refused = api_for(reviewer).post(
        reverse("api-application-notes", args=[application.pk]), {"text": "@ghost look"}, format="json"
    )
    assert refused.status_code == 400 and "ghost" in str(refused.json())
    assert (
        api_for(sales)
        .post(reverse("api-application-notes", args=[application.pk]), {"text": "mine"}, format="json")
        .status_code
        == 403
    )
