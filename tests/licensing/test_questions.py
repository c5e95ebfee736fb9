"""Questions to the applicant: asked by a reviewer, answered by the applicant, reminded, and in the record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lib.models import Notification
from lib.users import system_user
from licensing import services
from licensing.models import Application, Decision, Document, Question
from licensing.services import QuestionClosed, QuestionOpen
from licensing.status import IllegalTransition, Status
from licensing.tasks import remind_open_questions
from licensing.timeline import build_timeline
from tests.licensing.factories import make_application

pytestmark = pytest.mark.django_db


def _emails(sales: User, reviewer: User) -> None:
    sales.email, reviewer.email = "sam.sales@example.com", "rita.reviewer@example.com"
    sales.save()
    reviewer.save()


def _asked(sales: User, reviewer: User, text: str = "Please send the end-user statement.") -> Question:
    application = make_application(applicant=sales, assigned_to=reviewer)
    return services.ask_question(actor=reviewer, application=application, text=text)


def test_asking_a_question_makes_the_request_await_the_applicant_and_emails_them(sales: User, reviewer: User) -> None:
    _emails(sales, reviewer)
    question = _asked(sales, reviewer)
    application = Application.objects.get(pk=question.application_id)
    assert application.status == Status.AWAITING_APPLICANT
    assert application in Application.objects.open()  # still re-screened on list changes
    mail = Notification.objects.get(key=f"question-asked:{question.pk}")
    assert mail.recipients == ["sam.sales@example.com"]
    assert "Please send the end-user statement." in mail.body


def test_no_decision_is_recorded_while_a_question_is_open(sales: User, reviewer: User) -> None:
    question = _asked(sales, reviewer)
    for outcome in ("approved", "denied", "returned"):
        with pytest.raises(QuestionOpen, match="question"):
            services.decide(actor=reviewer, application=question.application, outcome=outcome, rationale="Looks fine.")
    assert not hasattr(Application.objects.get(pk=question.application_id), "decision")


def test_the_reply_puts_the_case_back_in_review_marked_reply_received(sales: User, reviewer: User) -> None:
    _emails(sales, reviewer)
    question = _asked(sales, reviewer)
    statement = SimpleUploadedFile("end-user-statement.pdf", b"%PDF-1.4\n%fake but pdf-shaped\n", "application/pdf")
    services.reply_to_question(actor=sales, question=question, text="Statement attached.", uploads=[statement])
    question.refresh_from_db()
    application = Application.objects.get(pk=question.application_id)
    assert question.status == Question.Status.ANSWERED
    assert question.replied_by == sales and question.reply == "Statement attached."
    assert [d.name for d in question.documents.all()] == ["end-user-statement.pdf"]
    assert application.status == Status.IN_REVIEW
    assert application.reply_received_at is not None
    assert Notification.objects.get(key=f"question-answered:{question.pk}").recipients == ["rita.reviewer@example.com"]
    decision = services.decide(actor=reviewer, application=application, outcome="approved", rationale="Statement OK.")
    assert isinstance(decision, Decision) and decision.outcome == "approved"
    assert Application.objects.get(pk=application.pk).reply_received_at is None


def test_the_case_waits_until_every_open_question_is_answered(sales: User, reviewer: User) -> None:
    first = _asked(sales, reviewer)
    second = services.ask_question(actor=reviewer, application=first.application, text="And the data sheet?")
    services.reply_to_question(actor=sales, question=first, text="Statement attached.")
    assert Application.objects.get(pk=first.application_id).status == Status.AWAITING_APPLICANT
    services.reply_to_question(actor=sales, question=second, text="Data sheet attached.")
    assert Application.objects.get(pk=first.application_id).status == Status.IN_REVIEW


def test_a_second_reply_is_refused_naming_who_answered(sales: User, reviewer: User) -> None:
    question = _asked(sales, reviewer)
    services.reply_to_question(actor=sales, question=question, text="Here it is.")
    with pytest.raises(QuestionClosed, match=f"already answered by {sales.username}"):
        services.reply_to_question(actor=sales, question=question, text="Again.")


def test_only_the_applicant_answers(sales: User, sales2: User, reviewer: User, compliance_admin: User) -> None:
    question = _asked(sales, reviewer)
    for someone in (sales2, reviewer, compliance_admin):
        with pytest.raises(PermissionDenied):
            services.reply_to_question(actor=someone, question=question, text="Not mine to answer.")
    assert Question.objects.get(pk=question.pk).is_open


def test_an_empty_answer_or_question_is_refused(sales: User, reviewer: User) -> None:
    question = _asked(sales, reviewer)
    with pytest.raises(ValidationError) as caught:
        services.reply_to_question(actor=sales, question=question, text="   ")
    assert "text" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.ask_question(actor=reviewer, application=question.application, text="")


def test_a_reply_document_has_the_usual_type_limits_and_leaves_nothing_when_refused(
    sales: User, reviewer: User
) -> None:
    question = _asked(sales, reviewer)
    disguised = SimpleUploadedFile("report.pdf", b"<html><script>alert(1)</script></html>", "application/pdf")
    with pytest.raises(ValidationError):
        services.reply_to_question(actor=sales, question=question, text="See report.", uploads=[disguised])
    assert Question.objects.get(pk=question.pk).is_open
    assert not Document.objects.filter(question=question).exists()


def test_a_reviewer_cannot_ask_on_their_own_request_or_a_decided_one(sales: User, reviewer: User) -> None:
    application = make_application(applicant=sales, assigned_to=reviewer)
    services.decide(actor=reviewer, application=application, outcome="denied", rationale="No.")
    with pytest.raises(IllegalTransition, match="denied"):
        services.ask_question(actor=reviewer, application=application, text="Anything else?")
    with pytest.raises(PermissionDenied):
        services.ask_question(actor=sales, application=make_application(applicant=sales, submitted=True), text="?")


def test_withdrawing_the_question_lets_the_reviewer_return_the_request(sales: User, reviewer: User) -> None:
    question = _asked(sales, reviewer)
    services.withdraw_question(actor=reviewer, question=question, reason="Applicant unreachable for weeks.")
    application = Application.objects.get(pk=question.application_id)
    assert application.status == Status.IN_REVIEW
    services.decide(actor=reviewer, application=application, outcome="returned", rationale="No answer came.")
    with pytest.raises(QuestionClosed, match="withdrawn"):
        services.reply_to_question(actor=sales, question=question, text="Late answer.")


def _at(year: int, month: int, day: int) -> datetime:
    return timezone.make_aware(datetime(year, month, day, 10, 0))


def _age(question: Question, days: int) -> None:
    Question.objects.filter(pk=question.pk).update(asked_at=timezone.now() - timedelta(days=days))


def test_reminders_count_working_days_and_are_sent_once(sales: User, reviewer: User, settings: Any) -> None:
    settings.QUESTION_REMINDER_WORKING_DAYS = 3
    settings.HOLIDAYS = []
    question = _asked(sales, reviewer)
    asked = _at(2026, 11, 27)  # a Friday
    Question.objects.filter(pk=question.pk).update(asked_at=asked)
    actor = system_user()
    # Saturday to Tuesday holds two working days: not yet.
    assert services.remind_unanswered_questions(actor=actor, now=asked + timedelta(days=4)) == []
    assert services.remind_unanswered_questions(actor=actor, now=asked + timedelta(days=5)) == [question.pk]
    # Run again the same day (a retried beat): nothing more.
    assert services.remind_unanswered_questions(actor=actor, now=asked + timedelta(days=5)) == []
    question.refresh_from_db()
    assert question.reminders_sent == 1
    mail = Notification.objects.get(key=f"question-reminder:{question.pk}:1")
    assert mail.subject.startswith("Reminder:") and question.text in mail.body


def test_a_holiday_does_not_count_towards_a_reminder(sales: User, reviewer: User, settings: Any) -> None:
    settings.QUESTION_REMINDER_WORKING_DAYS = 1
    settings.HOLIDAYS = ["2026-11-30"]
    question = _asked(sales, reviewer)
    Question.objects.filter(pk=question.pk).update(asked_at=_at(2026, 11, 27))
    assert services.remind_unanswered_questions(actor=system_user(), now=_at(2026, 11, 30)) == []
    assert services.remind_unanswered_questions(actor=system_user(), now=_at(2026, 12, 1)) == [question.pk]


def test_the_beat_task_reminds_and_answered_questions_are_left_alone(
    sales: User, reviewer: User, settings: Any
) -> None:
    settings.QUESTION_REMINDER_WORKING_DAYS = 2
    waiting = _asked(sales, reviewer)
    answered = _asked(sales, reviewer)
    services.reply_to_question(actor=sales, question=answered, text="Done.")
    _age(waiting, 10)
    _age(answered, 10)
    assert "remind-open-questions" in settings.CELERY_BEAT_SCHEDULE
    assert remind_open_questions.delay().get() == 1
    assert Notification.objects.filter(key__startswith="question-reminder:").count() == 1
    assert Question.objects.get(pk=waiting.pk).history.first().history_user == system_user()


def test_the_timeline_and_case_file_tell_the_conversation(
    sales: User, reviewer: User, client_for: Callable[[User], Client]
) -> None:
    question = _asked(sales, reviewer, text="Who is the end user's customer?")
    services.reply_to_question(actor=sales, question=question, text="A university laboratory.")
    events = [e for e in build_timeline(question.application) if e.subject == "Question to the applicant"]
    assert [(e.actor, e.reason, e.rationale) for e in events] == [
        (reviewer.username, "Question asked", "Who is the end user's customer?"),
        (sales.username, "Applicant replied", "A university laboratory."),
    ]
    page = client_for(reviewer).get(reverse("licensing:case_file", args=[question.application_id]))
    assert "Who is the end user&#x27;s customer?" in page.content.decode()
    assert "A university laboratory." in page.content.decode()


def test_pages_ask_answer_with_a_document_and_show_it(
    sales: User, reviewer: User, client_for: Callable[[User], Client]
) -> None:
    application = make_application(applicant=sales, assigned_to=reviewer)
    as_reviewer, as_sales = client_for(reviewer), client_for(sales)
    as_reviewer.post(reverse("licensing:ask_question", args=[application.pk]), {"text": "Data sheet, please."})
    question = Question.objects.get(application=application)
    dashboard = as_sales.get(reverse("dashboard")).content.decode()
    assert "Questions waiting for your answer" in dashboard and "Data sheet, please." in dashboard
    detail = as_sales.get(reverse("licensing:detail", args=[application.pk])).content.decode()
    assert "Awaiting applicant" in detail and "Send answer" in detail
    sheet = SimpleUploadedFile("sheet.txt", b"Model X: 12 V bench supply", "text/plain")
    response = as_sales.post(
        reverse("licensing:reply_question", args=[question.pk]), {"text": "Attached.", "documents": [sheet]}
    )
    assert response.status_code == 302
    assert Question.objects.get(pk=question.pk).documents.get().name == "sheet.txt"
    queue = as_reviewer.get(reverse("licensing:queue"), {"conversation": "reply"}).content.decode()
    assert str(application.reference) in queue and "reply received" in queue
    assert "None: no reviewer is waiting on you." in as_sales.get(reverse("dashboard")).content.decode()


def test_the_api_asks_answers_with_files_and_refuses_what_it_must(
    sales: User, sales2: User, reviewer: User, api_for: Callable[[User], APIClient]
) -> None:
    application = make_application(applicant=sales, assigned_to=reviewer)
    as_reviewer, as_sales = api_for(reviewer), api_for(sales)
    asked = as_reviewer.post(
        reverse("api-application-questions", args=[application.pk]), {"text": "End use?"}, format="json"
    )
    assert asked.status_code == 201, asked.content
    question_id = asked.json()["id"]
    decision = as_reviewer.post(
        reverse("api-application-decision", args=[application.pk]),
        {"outcome": "approved", "rationale": "Fine."},
        format="json",
    )
    assert decision.status_code == 409 and "question" in decision.json()["detail"]
    other = api_for(sales2).post(reverse("api-question-reply", args=[question_id]), {"text": "x"}, format="json")
    assert other.status_code == 404
    reply = as_sales.post(
        reverse("api-question-reply", args=[question_id]),
        {"text": "Research only.", "files": [SimpleUploadedFile("note.txt", b"research", "text/plain")]},
        format="multipart",
    )
    assert reply.status_code == 200, reply.content
    assert reply.json()["status"] == "answered" and reply.json()["documents"][0]["name"] == "note.txt"
    again = as_sales.post(reverse("api-question-reply", args=[question_id]), {"text": "More."}, format="json")
    assert again.status_code == 409 and "already answered" in again.json()["detail"]
    shown = as_sales.get(reverse("api-application", args=[application.pk])).json()
    assert shown["status"] == "in_review" and shown["reply_received_at"]
    assert shown["questions"][0]["reply"] == "Research only."
