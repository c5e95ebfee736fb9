"""The e-mails licensing sends, written to the outbox (`lib.outbox`) in the transaction that
gives cause to send them: new screening hits on a case, and decisions."""

from __future__ import annotations

from collections.abc import Sequence

from lib import outbox
from lib.roles import Role
from licensing.models import Decision, Hit, Licence


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
