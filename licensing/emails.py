"""The e-mails licensing sends, written to the outbox (`lib.outbox`) in the transaction that
gives cause to send them: new screening hits on a case, and decisions."""

from __future__ import annotations

from collections.abc import Sequence

from lib import outbox
from lib.roles import Role
from licensing.models import Decision, Hit, Licence, LineBalance


def new_hits(hit_ids: Sequence[int], *, unit: str) -> None:
    """One e-mail per case about its new hits, to the reviewers and the applicant.

    `unit` names the unit of work (a re-screen chunk): writing the same case's e-mail for the
    same unit again keeps the first.
    """
    if not hit_ids:
        return
    reviewers = outbox.addresses_of(Role.REVIEWER)
    hits = Hit.objects.filter(pk__in=hit_ids).select_related("party__application__applicant", "entity")
    by_case: dict[int, list[Hit]] = {}
    for hit in hits:
        by_case.setdefault(hit.party.application_id, []).append(hit)
    drafts: list[outbox.Email] = []
    for application_id, case_hits in sorted(by_case.items()):
        application = case_hits[0].party.application
        lines = [
            f"Re-screening found {len(case_hits)} new hit(s) on {application.reference}; "
            "it is on hold until a reviewer has looked.",
            "",
            *(
                f"- {h.party.name} ({h.party.get_role_display()}) matches {h.entity.name} [{h.entity.source}], "
                f"score {h.score:.2f}, list version {h.list_version}"
                for h in case_hits
            ),
        ]
        applicant = [application.applicant.email] if application.applicant.email else []
        drafts.append(
            outbox.Email(
                key=f"new-hits:{unit}:application-{application_id}",
                subject=f"{application.reference}: new screening hit",
                body="\n".join(lines),
                recipients=[*reviewers, *applicant],
            )
        )
    outbox.write(drafts)


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
