"""The status machines of licence requests and licences, as data.

Every move of a request or a licence is looked up here; a move that is not in the table is
refused with a message that says what the record is and what was attempted, in the pages and
the API alike.
"""

from __future__ import annotations

from django.db import models

from lib.errors import Conflict


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    ON_HOLD = "on_hold", "On hold"
    AWAITING_APPLICANT = "awaiting_applicant", "Awaiting applicant"
    AWAITING_COUNTERSIGNATURE = "countersign", "Awaiting countersignature"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    RETURNED = "returned", "Returned without action"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Action(models.TextChoices):
    EDIT = "edit", "edit"
    SUBMIT = "submit", "submit"
    WITHDRAW = "withdraw", "withdraw"
    ASSIGN = "assign", "assign"
    HOLD = "hold", "put on hold"
    RESUME = "resume", "resume"
    APPROVE = "approve", "approve"
    DENY = "deny", "deny"
    RETURN = "return", "return"
    ASK = "ask", "asked a question"
    PROPOSE = "propose", "put up for countersignature"
    COUNTERSIGN = "countersign", "countersigned"
    SEND_BACK = "send_back", "sent back to the decider"
    REPLY = "reply", "answered"


S, A = Status, Action

# (from, action) -> to. Anything absent is an illegal move.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, A.EDIT): S.DRAFT,
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.DRAFT, A.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, A.WITHDRAW): S.WITHDRAWN,
    (S.IN_REVIEW, A.WITHDRAW): S.WITHDRAWN,
    (S.ON_HOLD, A.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, A.ASSIGN): S.IN_REVIEW,
    (S.IN_REVIEW, A.ASSIGN): S.IN_REVIEW,
    (S.ON_HOLD, A.ASSIGN): S.ON_HOLD,
    # Re-screening puts a case on hold when a new hit arrives; a reviewer resumes it.
    (S.SUBMITTED, A.HOLD): S.ON_HOLD,
    (S.IN_REVIEW, A.HOLD): S.ON_HOLD,
    (S.ON_HOLD, A.RESUME): S.IN_REVIEW,
    (S.SUBMITTED, A.APPROVE): S.APPROVED,
    (S.IN_REVIEW, A.APPROVE): S.APPROVED,
    (S.ON_HOLD, A.APPROVE): S.APPROVED,
    (S.SUBMITTED, A.DENY): S.DENIED,
    (S.IN_REVIEW, A.DENY): S.DENIED,
    (S.ON_HOLD, A.DENY): S.DENIED,
    (S.SUBMITTED, A.RETURN): S.RETURNED,
    (S.IN_REVIEW, A.RETURN): S.RETURNED,
    (S.ON_HOLD, A.RETURN): S.RETURNED,
    # A reviewer asks the applicant a question: the case waits for the applicant, still screened
    # on every list change, and no decision can be recorded until the last question is answered.
    (S.SUBMITTED, A.ASK): S.AWAITING_APPLICANT,
    (S.IN_REVIEW, A.ASK): S.AWAITING_APPLICANT,
    (S.ON_HOLD, A.ASK): S.AWAITING_APPLICANT,
    (S.AWAITING_APPLICANT, A.ASK): S.AWAITING_APPLICANT,
    (S.AWAITING_APPLICANT, A.ASSIGN): S.AWAITING_APPLICANT,
    (S.AWAITING_APPLICANT, A.WITHDRAW): S.WITHDRAWN,
    # The answer to the last open question puts the case back in the reviewer's queue.
    (S.AWAITING_APPLICANT, A.REPLY): S.IN_REVIEW,
    # The reviewer withdraws the last open question: the case is theirs again.
    (S.AWAITING_APPLICANT, A.RESUME): S.IN_REVIEW,
    # An approval that needs a second sign-off (see SignOffPolicy) waits for a countersigner:
    # agreement approves it (the licence issues), disagreement sends it back to the decider.
    (S.SUBMITTED, A.PROPOSE): S.AWAITING_COUNTERSIGNATURE,
    (S.IN_REVIEW, A.PROPOSE): S.AWAITING_COUNTERSIGNATURE,
    (S.ON_HOLD, A.PROPOSE): S.AWAITING_COUNTERSIGNATURE,
    (S.AWAITING_COUNTERSIGNATURE, A.COUNTERSIGN): S.APPROVED,
    (S.AWAITING_COUNTERSIGNATURE, A.SEND_BACK): S.IN_REVIEW,
    (S.AWAITING_COUNTERSIGNATURE, A.WITHDRAW): S.WITHDRAWN,
}

# Submitted and not yet decided or withdrawn: screened again when the list changes.
OPEN_STATUSES: tuple[str, ...] = (
    S.SUBMITTED,
    S.IN_REVIEW,
    S.ON_HOLD,
    S.AWAITING_APPLICANT,
    S.AWAITING_COUNTERSIGNATURE,
)
DECIDED_STATUSES: tuple[str, ...] = (S.APPROVED, S.DENIED, S.RETURNED)

# A decision's outcome is the action it takes.
OUTCOME_ACTIONS: dict[str, str] = {"approved": A.APPROVE, "denied": A.DENY, "returned": A.RETURN}


class LicenceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    SUSPENDED = "suspended", "Suspended"
    EXHAUSTED = "exhausted", "Exhausted"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"
    SUPERSEDED = "superseded", "Superseded by an amendment"


class LicenceAction(models.TextChoices):
    HOLD = "hold", "put on hold"
    RELEASE = "release", "release"
    SUSPEND = "suspend", "suspend"
    REINSTATE = "reinstate", "reinstate"
    REVOKE = "revoke", "revoke"
    EXPIRE = "expire", "expire"
    EXHAUST = "exhaust", "mark exhausted"
    REPLENISH = "replenish", "give balance back"
    SUPERSEDE = "supersede", "supersede"


L, LA = LicenceStatus, LicenceAction

# Within their validity and not ended: the licence's case stays open (re-screened, hits
# reviewable). A suspended licence may be reinstated, so its parties stay watched.
LICENCE_IN_FORCE: tuple[str, ...] = (L.ACTIVE, L.ON_HOLD, L.SUSPENDED)

# Only an active licence may be shipped against (15 CFR 750.7: shipments within its terms).
LICENCE_SHIPPABLE: tuple[str, ...] = (L.ACTIVE,)

LICENCE_TRANSITIONS: dict[tuple[str, str], str] = {
    # Re-screening holds a licence when a party is newly listed; a reviewer releases it once the
    # hits that held it are reviewed.
    (L.ACTIVE, LA.HOLD): L.ON_HOLD,
    (L.ON_HOLD, LA.RELEASE): L.ACTIVE,
    # An officer's own pause (a listing under review, a doubtful end use), and its end.
    (L.ACTIVE, LA.SUSPEND): L.SUSPENDED,
    (L.SUSPENDED, LA.REINSTATE): L.ACTIVE,
    # Revocation is final: no action leads out of it.
    **{(status, LA.REVOKE): L.REVOKED for status in (L.ACTIVE, L.ON_HOLD, L.SUSPENDED, L.EXHAUSTED)},
    # The daily expiry run ends every licence past its validity that has not otherwise ended.
    **{(status, LA.EXPIRE): L.EXPIRED for status in (L.ACTIVE, L.ON_HOLD, L.SUSPENDED)},
    # Shipments use the balance up; a reversal entry can give some back.
    (L.ACTIVE, LA.EXHAUST): L.EXHAUSTED,
    (L.EXHAUSTED, LA.REPLENISH): L.ACTIVE,
    # An approved amendment issues a new version; the old one stays readable, its shipments carry over.
    **{(status, LA.SUPERSEDE): L.SUPERSEDED for status in (L.ACTIVE, L.ON_HOLD, L.SUSPENDED, L.EXHAUSTED)},
}

# A licence its holder may ask to amend: issued and not ended.
LICENCE_AMENDABLE: tuple[str, ...] = (L.ACTIVE, L.ON_HOLD, L.SUSPENDED, L.EXHAUSTED)


class IllegalTransition(Conflict):
    """A move the status table does not allow; the message is meant for the user."""


def next_status(
    table: dict[tuple[str, str], str], labels: type[models.TextChoices], current: str, action: str, *, what: str
) -> str:
    """The status `action` leads to from `current`, or IllegalTransition with a readable message."""
    try:
        return table[(current, action)]
    except KeyError:
        label = str(dict(labels.choices).get(current, current)).lower()
        raise IllegalTransition(f"A {what} that is {label} cannot be {_past(action)}.") from None


_PAST = {
    "edit": "edited",
    "submit": "submitted",
    "withdraw": "withdrawn",
    "assign": "assigned",
    "hold": "put on hold",
    "resume": "resumed",
    "approve": "approved",
    "deny": "denied",
    "return": "returned",
    "ask": "asked a question",
    "reply": "answered",
    "release": "released",
    "revoke": "revoked",
    "expire": "expired",
    "answer": "answered",
    "propose": "put up for countersignature",
    "countersign": "countersigned",
    "send_back": "sent back to the decider",
    "suspend": "suspended",
    "reinstate": "reinstated",
    "exhaust": "marked exhausted",
    "replenish": "given balance back",
    "ship": "shipped against",
    "supersede": "superseded",
}


def _past(action: str) -> str:
    return _PAST.get(action, action)
