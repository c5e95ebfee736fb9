"""The e-mails licensing sends, written to the outbox (`lib.outbox`) in the transaction that
gives cause to send them: new screening hits on a case, decisions, and the questions reviewers
ask applicants (asked, answered, reminded)."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse

from lib import outbox
from lib.roles import Role
from licensing.models import CaseNote, Decision, Hit, Licence, LineBalance, Question, SignOff


def new_hits(hit_ids: Sequence[int], *, unit: str) -> None:
    """One e-mail per person about the new hits of a unit of work (a re-screen job, i.e. a list
    change), listing each of their cases: reviewers hear of every case, an applicant of their own.

    Writing the same unit again keeps the first e-mail per person. Hits a reviewer already ruled
    on by the time the job closed are left out: they no longer need anyone's eyes.
    """
    if not hit_ids:
        return
    hits = (
        Hit.objects.filter(pk__in=hit_ids, status=Hit.Status.OPEN)
        .select_related("party__application__applicant", "entity")
        .order_by("party__application_id", "party_id", "-score")
    )
    by_case: dict[int, list[Hit]] = {}
    for hit in hits:
        by_case.setdefault(hit.party.application_id, []).append(hit)
    if not by_case:
        return
    cases_of: dict[str, list[int]] = {address: sorted(by_case) for address in outbox.addresses_of(Role.REVIEWER)}
    for application_id, case_hits in by_case.items():
        applicant = case_hits[0].party.application.applicant
        if applicant.email:
            cases_of.setdefault(applicant.email, [])
            if application_id not in cases_of[applicant.email]:
                cases_of[applicant.email].append(application_id)
    drafts = [
        _new_hits_email(address, [by_case[pk] for pk in sorted(case_ids)], unit=unit)
        for address, case_ids in sorted(cases_of.items())
    ]
    outbox.write(drafts)


def _new_hits_email(address: str, cases: list[list[Hit]], *, unit: str) -> outbox.Email:
    references = [str(hits[0].party.application) for hits in cases]
    count = sum(len(hits) for hits in cases)
    if len(cases) == 1:
        subject = f"{references[0]}: new screening hit" + ("s" if count > 1 else "")
    else:
        subject = f"New screening hits on {len(cases)} requests: {', '.join(references[:5])}" + (
            ", ..." if len(cases) > 5 else ""
        )
    lines = [
        f"Re-screening found {count} new hit{'' if count == 1 else 's'} on {len(cases)} "
        f"request{'' if len(cases) == 1 else 's'}; each is on hold until a reviewer has looked.",
    ]
    for hits in cases:
        application = hits[0].party.application
        lines += ["", f"{application.reference} ({len(hits)} new hit{'' if len(hits) == 1 else 's'}):"]
        lines += [
            f"- {h.party.name} ({h.party.get_role_display()}) matches {h.entity.name} [{h.entity.source}], "
            f"score {h.score:.2f}, list version {h.list_version}"
            for h in hits
        ]
    return outbox.Email(key=f"new-hits:{unit}:{address}", subject=subject, body="\n".join(lines), recipients=[address])


def decision_made(decision: Decision) -> None:
    """Tell the applicant the decision, its rationale and conditions, and the licence issued."""
    application = decision.application
    applicant = application.applicant
    lines = [
        f"Your licence request {application.reference} was {decision.get_outcome_display().lower()}.",
        "",
        f"Rationale: {decision.rationale}",
    ]
    if decision.conditions:
        lines += ["", "Conditions (pass these on to the parties):", decision.conditions]
    licence = Licence.objects.filter(application=application).first()
    if licence is not None:
        lines += ["", f"Licence {licence.number}, valid {licence.valid_from} to {licence.valid_until}."]
    outbox.write(
        [
            outbox.Email(
                key=f"decision:{decision.pk}",
                subject=f"{application.reference}: {decision.get_outcome_display()}",
                body="\n".join(lines),
                recipients=[applicant.email] if applicant.email else [],
            )
        ]
    )


def _case_link(application_id: int) -> str:
    return f"{settings.SITE_URL}{reverse('licensing:detail', args=[application_id])}"


def _to(*users: object) -> list[str]:
    return [email for user in users if user is not None and (email := getattr(user, "email", ""))]


def question_asked(question: Question) -> None:
    """Tell the applicant a reviewer asked something; the case waits for their answer."""
    application = question.application
    outbox.write(
        [
            outbox.Email(
                key=f"question-asked:{question.pk}",
                subject=f"{application.reference}: a reviewer has a question",
                body="\n".join(
                    [
                        f"A reviewer asked a question about your licence request {application.reference}.",
                        "The request waits for your answer; it cannot be decided until you reply.",
                        "",
                        question.text,
                        "",
                        f"Answer it on the request's page: {_case_link(application.pk)}",
                    ]
                ),
                recipients=_to(application.applicant),
            )
        ]
    )


def reply_received(question: Question) -> None:
    """Tell the reviewer who asked (and the one assigned) that the applicant answered."""
    application = question.application
    documents = list(question.documents.values_list("name", flat=True))
    lines = [
        f"{application.applicant.get_username()} answered your question on {application.reference}.",
        "",
        f"Question: {question.text}",
        "",
        f"Answer: {question.reply}",
    ]
    if documents:
        lines += ["", "Documents attached: " + ", ".join(documents)]
    lines += ["", _case_link(application.pk)]
    outbox.write(
        [
            outbox.Email(
                key=f"question-answered:{question.pk}",
                subject=f"{application.reference}: reply received",
                body="\n".join(lines),
                recipients=_to(question.asked_by, application.assigned_to),
            )
        ]
    )


def question_reminder(question: Question) -> None:
    """Remind the applicant of a question still unanswered; one e-mail per reminder."""
    application = question.application
    outbox.write(
        [
            outbox.Email(
                key=f"question-reminder:{question.pk}:{question.reminders_sent}",
                subject=f"Reminder: {application.reference} waits for your answer",
                body="\n".join(
                    [
                        f"A reviewer's question on your licence request {application.reference}, asked "
                        f"{question.asked_at:%Y-%m-%d}, is still unanswered; the request cannot be decided "
                        "until you reply.",
                        "",
                        question.text,
                        "",
                        _case_link(application.pk),
                    ]
                ),
                recipients=_to(application.applicant),
            )
        ]
    )


def note_written(note: CaseNote, *, mentioned: Sequence[User]) -> None:
    """Tell each user mentioned in a note, and the applicant when the note is shared with them."""
    application = note.application
    author = note.author.get_username()
    link = _case_link(application.pk)
    drafts = [
        outbox.Email(
            key=f"note-mention:{note.pk}:{user.pk}",
            subject=f"{application.reference}: {author} mentioned you in a note",
            body="\n".join([f"{author} wrote on {application.reference}:", "", note.text, "", link]),
            recipients=_to(user),
        )
        for user in mentioned
    ]
    if note.visible_to_applicant:
        drafts.append(
            outbox.Email(
                key=f"note-shared:{note.pk}",
                subject=f"{application.reference}: a note from the reviewers",
                body="\n".join([f"A note on your licence request {application.reference}:", "", note.text, "", link]),
                recipients=_to(application.applicant),
            )
        )
    outbox.write(drafts)


def countersignature_needed(sign_off: SignOff) -> None:
    """Ask the reviewers who may countersign (neither the decider nor the applicant) for a second look."""
    application = sign_off.application
    excluded = {sign_off.proposed_by.email, application.applicant.email}
    reviewers = [email for email in outbox.addresses_of(Role.REVIEWER) if email not in excluded]
    lines = [
        f"{sign_off.proposed_by.get_username()} approved {application.reference}; "
        "the licence issues once another reviewer countersigns.",
        "",
        "Why a second sign-off is needed:",
        *(f"- {reason}" for reason in sign_off.reasons),
        "",
        f"Rationale: {sign_off.rationale}",
        "",
        _case_link(application.pk),
    ]
    outbox.write(
        [
            outbox.Email(
                key=f"countersign-needed:{sign_off.pk}",
                subject=f"{application.reference}: approval awaiting your countersignature",
                body="\n".join(lines),
                recipients=reviewers,
            )
        ]
    )


def sent_back(sign_off: SignOff) -> None:
    """Tell the decider that the countersigner disagreed, and why."""
    application = sign_off.application
    who = sign_off.countersigned_by.get_username() if sign_off.countersigned_by else "A reviewer"
    outbox.write(
        [
            outbox.Email(
                key=f"countersign-refused:{sign_off.pk}",
                subject=f"{application.reference}: approval sent back",
                body="\n".join(
                    [
                        f"{who} did not countersign your approval of {application.reference}:",
                        "",
                        sign_off.countersign_reason,
                        "",
                        f"Revise it on the case: {_case_link(application.pk)}",
                    ]
                ),
                recipients=_to(sign_off.proposed_by),
            )
        ]
    )


LICENCE_ACTIONS_DONE = {
    "release": "released: shipping under it may resume",
    "suspend": "suspended: nothing may ship under it until it is reinstated",
    "reinstate": "reinstated: shipping under it may resume",
    "revoke": "revoked: nothing may ship under it again",
}


def licence_changed(licence: Licence, *, action: str, reason: str, event: int) -> None:
    """Tell the licence holder that an officer released, suspended, reinstated or revoked it, and why.

    `event` (the licence's history row) makes the key unique per change, so a licence suspended,
    reinstated and suspended again sends three e-mails, and a retried write sends one.
    """
    application = licence.application
    applicant = application.applicant
    done = LICENCE_ACTIONS_DONE.get(action, action)
    body = "\n".join(
        [
            f"Licence {licence.number} (request {application.reference}) was {done}.",
            "",
            f"Reason: {reason}",
        ]
    )
    outbox.write(
        [
            outbox.Email(
                key=f"licence-{action}:{licence.pk}:{event}",
                subject=f"{licence.number}: licence {done.split(':')[0]}",
                body=body,
                recipients=[applicant.email] if applicant.email else [],
            )
        ]
    )


def licence_expiring(licence: Licence, *, balances: Sequence[LineBalance]) -> None:
    """Remind the holder that a licence ends soon, with what is left on it (once per end date)."""
    applicant = licence.application.applicant
    lines = [
        f"Licence {licence.number} (request {licence.application.reference}) expires on {licence.valid_until}.",
        "Nothing may ship under it after that day; ask for an amendment if you need a later end date.",
        "",
        "Remaining:",
        *(
            f"- {b.item.eccn} {b.item.description[:40]}: "
            f"{b.remaining_quantity} {b.item.unit}, value {b.remaining_value}"
            for b in balances
        ),
    ]
    outbox.write(
        [
            outbox.Email(
                key=f"licence-expiring:{licence.pk}:{licence.valid_until}",
                subject=f"{licence.number}: expires on {licence.valid_until}",
                body="\n".join(lines),
                recipients=[applicant.email] if applicant.email else [],
            )
        ]
    )
