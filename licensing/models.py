"""Licence requests (modelled on BIS-748P), their decisions, the licences issued, and the country chart."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.models import HistoricalRecords

from compliance.matcher import Person
from compliance.validators import validate_visible_name
from entities.models import LicensePolicy
from lib.roles import Role, has_role
from licensing.status import (
    DECIDED_STATUSES,
    LICENCE_IN_FORCE,
    LICENCE_SHIPPABLE,
    LICENCE_TRANSITIONS,
    OPEN_STATUSES,
    TRANSITIONS,
    IllegalTransition,
    LicenceStatus,
    Status,
    next_status,
)
from licensing.validators import (
    MAX_ADDITIONAL_INFO,
    MAX_ADDRESS,
    MAX_DESCRIPTION,
    MAX_END_USE,
    MAX_ID_NUMBERS,
    MAX_RATIONALE,
    country_codes,
    max_quantity,
    max_unit_price,
    validate_birth_date,
    validate_country,
    validate_document_content,
    validate_eccn,
    validate_nationalities,
    validate_positive,
    validate_reasons,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DOCUMENT_EXTENSIONS = ("pdf", "png", "jpg", "jpeg", "docx", "xlsx", "csv", "txt")
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


READ_ALL = "all"
READ_NONE = "none"


def visibility_scope(user: User | AbstractBaseUser | AnonymousUser | None) -> str:
    """Which requests a user may read, named: users with the same scope read the same requests.

    Reviewers, auditors and admins read all ("all"); Sales read their own ("applicant:<id>");
    anyone else none ("none"). `for_user` filters by it, and caches of figures about requests
    are keyed by it, so a cached figure is only ever shown to people who may read every request
    it counts.
    """
    if user is None or not user.is_authenticated:
        return READ_NONE
    if has_role(user, Role.REVIEWER, Role.AUDITOR, Role.COMPLIANCE_ADMIN):  # type: ignore[arg-type]
        return READ_ALL
    if has_role(user, Role.SALES):  # type: ignore[arg-type]
        return f"applicant:{user.pk}"
    return READ_NONE


def sees_internal(user: User | AbstractBaseUser | AnonymousUser | None) -> bool:
    """Whether a user reads the reviewers' side of a case (internal notes): those who read all requests."""
    return visibility_scope(user) == READ_ALL


class ApplicationQuerySet(models.QuerySet["Application"]):
    def open(self) -> ApplicationQuerySet:
        """Open cases: the one definition that re-screening, hit review and the pages share.

        Requests submitted and not yet decided, and approved requests whose licence is still in
        force (active or on hold, within its validity): a licence on hold stays watched while a
        reviewer decides whether to release or revoke it.
        """
        return self.filter(Q(status__in=OPEN_STATUSES) | Q(licence__in=Licence.objects.in_force()))

    def undecided(self) -> ApplicationQuerySet:
        """Submitted and waiting for a decision: the review queue."""
        return self.filter(status__in=OPEN_STATUSES)

    def decided(self) -> ApplicationQuerySet:
        return self.filter(status__in=DECIDED_STATUSES)

    def for_user(self, user: User | AbstractBaseUser | AnonymousUser | None) -> ApplicationQuerySet:
        """What a user may read: Sales their own, reviewers, auditors and admins everything."""
        scope = visibility_scope(user)
        if scope == READ_ALL:
            return self.all()
        if scope == READ_NONE or user is None:
            return self.none()
        return self.filter(applicant=user.pk)

    def with_hit_counts(self) -> ApplicationQuerySet:
        def count(*statuses: str) -> Any:
            hits = Hit.objects.filter(party__application=OuterRef("pk"))
            if statuses:
                hits = hits.filter(status__in=statuses)
            return Coalesce(
                Subquery(hits.order_by().values("party__application").annotate(n=Count("pk")).values("n")[:1]), 0
            )

        return self.annotate(
            hit_count=count(),
            open_hit_count=count(Hit.Status.OPEN),
            confirmed_hit_count=count(Hit.Status.CONFIRMED),
        )

    def with_licence_status(self) -> ApplicationQuerySet:
        """Each request's licence status as `licence_status` (None without a licence), in the same
        query: a list that shows a request's status shows its licence's too (`status_badge`)."""
        return self.annotate(licence_status=F("licence__status"))


class Application(models.Model):
    class Type(models.TextChoices):
        EXPORT = "export", "Export"
        REEXPORT = "reexport", "Reexport"
        IN_COUNTRY = "in_country_transfer", "In-country transfer"

    reference = models.CharField(max_length=20, unique=True, null=True, blank=True, editable=False)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications")
    type = models.CharField(max_length=24, choices=Type.choices, default=Type.EXPORT)
    destination_country = models.CharField(
        max_length=2, validators=[validate_country], help_text="ISO 3166 two-letter code of the destination."
    )
    end_use = models.TextField("specific end use", blank=True, max_length=MAX_END_USE)
    additional_info = models.TextField("additional information", blank=True, max_length=MAX_ADDITIONAL_INFO)
    total_value = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        default=Decimal("0"),
        help_text="The sum of the items' totals: at most 10,000,000,000,000.",
    )
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.DRAFT, db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_applications"
    )
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Re-screening sets these when a new hit arrives on an open case.
    needs_attention = models.BooleanField(default=False)
    attention_reason = models.TextField(blank=True)
    last_screened_version = models.PositiveIntegerField(null=True, blank=True)
    # When the applicant last answered a question; the queue marks the case "reply received"
    # until the reviewer asks again or decides.
    reply_received_at = models.DateTimeField(null=True, blank=True)
    # The review target: REVIEW_TARGET_WORKING_DAYS working days from submission, moved later by
    # the working days the case waited for the applicant (the clock stops while a question is open).
    target_date = models.DateField(null=True, blank=True, db_index=True)
    clock_stopped_at = models.DateTimeField(null=True, blank=True)
    # An amendment is a new request linked to the licence it would replace.
    amends = models.ForeignKey(
        "Licence", null=True, blank=True, on_delete=models.PROTECT, related_name="amendments", editable=False
    )
    requested_valid_until = models.DateField(
        "requested end date",
        null=True,
        blank=True,
        help_text="Amendments only: a later end date for the licence; leave blank to keep its current one.",
    )
    # The licence determination made at submit (and refreshed as hits are reviewed).
    determination = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference or f"request {self.pk}"

    def transition(self, action: str) -> str:
        """Move to the status the table gives for `action`; IllegalTransition if there is none."""
        self.status = next_status(TRANSITIONS, Status, self.status, action, what="request")
        return self.status

    def can(self, action: str) -> bool:
        return (self.status, action) in TRANSITIONS

    @property
    def is_open(self) -> bool:
        """Whether this case is open (see `ApplicationQuerySet.open`); one query."""
        return Application.objects.open().filter(pk=self.pk).exists()

    @property
    def is_decided(self) -> bool:
        return self.status in DECIDED_STATUSES

    @property
    def is_overdue(self) -> bool:
        """Past its target date, undecided, and not waiting on the applicant (whose clock is stopped)."""
        return (
            self.target_date is not None
            and self.status in OPEN_STATUSES
            and self.status != Status.AWAITING_APPLICANT
            and self.target_date < timezone.localdate()
        )


class Party(models.Model):
    class Role(models.TextChoices):
        PURCHASER = "purchaser", "Purchaser"
        INTERMEDIATE_CONSIGNEE = "intermediate_consignee", "Intermediate consignee"
        ULTIMATE_CONSIGNEE = "ultimate_consignee", "Ultimate consignee"
        END_USER = "end_user", "End user"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(max_length=24, choices=Role.choices)
    name = models.CharField(max_length=300, validators=[validate_visible_name])
    address = models.TextField(blank=True, max_length=MAX_ADDRESS)
    country = models.CharField(max_length=2, validators=[validate_country], help_text="ISO 3166 two-letter code.")
    # For a party that is a person: evidence the matcher weighs beside the name.
    date_of_birth = models.CharField(
        "date or year of birth",
        max_length=10,
        blank=True,
        validators=[validate_birth_date],
        help_text="For a person: YYYY-MM-DD, or the year alone.",
    )
    nationalities = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_nationalities],
        help_text="For a person: ISO 3166 codes, separated by spaces or commas.",
    )
    id_numbers = models.TextField(
        "identity document numbers",
        blank=True,
        max_length=MAX_ID_NUMBERS,
        help_text="For a person: passport or national ID numbers, one per line.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["application", "id"]
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name} ({self.country})"

    @property
    def person(self) -> Person | None:
        """The person evidence screening weighs (`compliance.matcher.person_effect`), if any."""
        person = Person(
            birth_date=self.date_of_birth.strip(),
            nationalities=tuple(country_codes(self.nationalities)),
            documents=tuple(line.strip() for line in self.id_numbers.splitlines() if line.strip()),
        )
        return person or None


class AddressBookEntry(models.Model):
    """A party as Sales have used it on a request, to pick instead of retype.

    Shared by every Sales user (there are no teams). A request keeps its own copy of each party:
    picking an entry copies its values into the row, so editing the entry later never changes a
    request already filed.
    """

    name = models.CharField(max_length=300)
    address = models.TextField(blank=True, max_length=MAX_ADDRESS)
    country = models.CharField(max_length=2, validators=[validate_country], help_text="ISO 3166 two-letter code.")
    # Casefolded name, country and address: the same party typed twice is one entry.
    key = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "country", "id"]
        verbose_name_plural = "address book entries"

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"


class Product(models.Model):
    """A product in the catalogue, classified once and picked into line items.

    Sales classify a product themselves ("self-classified"); a reviewer or Compliance admin
    confirms the classification, and who confirmed it and when is kept with its history. A change
    to the ECCN or the reasons for control undoes a confirmation: it was of the old values.
    """

    class Classification(models.TextChoices):
        SELF_CLASSIFIED = "self_classified", "Self-classified"
        CONFIRMED = "confirmed", "Confirmed"

    description = models.TextField(max_length=MAX_DESCRIPTION)
    model = models.CharField(max_length=200, blank=True)
    manufacturer = models.CharField(max_length=200, blank=True)
    eccn = models.CharField("ECCN", max_length=32, validators=[validate_eccn], help_text="e.g. 5A002, 3A991 or EAR99.")
    reasons_for_control = models.CharField(
        max_length=100, blank=True, validators=[validate_reasons], help_text="e.g. “NS1 AT1”."
    )
    classification = models.CharField(
        max_length=16, choices=Classification.choices, default=Classification.SELF_CLASSIFIED
    )
    classified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    classified_at = models.DateTimeField(null=True, blank=True)
    classification_note = models.TextField(blank=True, max_length=MAX_DESCRIPTION)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["description", "model", "id"]

    def __str__(self) -> str:
        return f"{self.description[:60]} {self.model}".strip()

    @property
    def is_confirmed(self) -> bool:
        return self.classification == Product.Classification.CONFIRMED


class LineItem(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="items")
    # The catalogue product the row was picked from, if any: its values are copied into the row,
    # and the case page compares the row's ECCN with the product's confirmed one.
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, related_name="line_items")
    eccn = models.CharField("ECCN", max_length=32, validators=[validate_eccn], help_text="e.g. 5A002, 3A991 or EAR99.")
    description = models.TextField(max_length=MAX_DESCRIPTION)
    model = models.CharField(max_length=200, blank=True)
    quantity = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        validators=[validate_positive, max_quantity],
        help_text="Greater than 0 and at most 1,000,000,000; quantity x unit price at most 1,000,000,000,000.",
    )
    unit = models.CharField(max_length=20, default="ea")
    unit_price = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        validators=[validate_positive, max_unit_price],
        help_text="Greater than 0 and at most 1,000,000,000 per unit.",
    )
    total = models.DecimalField(max_digits=16, decimal_places=2, editable=False, default=Decimal("0"))
    manufacturer = models.CharField(max_length=200, blank=True)
    reasons_for_control = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_reasons],
        help_text="Optional, e.g. “NS1 AT1”: overrides Clearance's own table for this ECCN.",
    )
    # On an amendment, the licensed line this one continues: what shipped against it carries over.
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["application", "id"]

    def __str__(self) -> str:
        return f"{self.eccn} {self.description[:40]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.total = (Decimal(self.quantity) * Decimal(self.unit_price)).quantize(Decimal("0.01"))
        super().save(*args, **kwargs)


def _document_path(instance: Document, filename: str) -> str:
    return f"licensing/{instance.application_id}/{uuid.uuid4().hex}/{filename}"


def validate_document_size(file: Any) -> None:
    if file.size > DOCUMENT_MAX_BYTES:
        raise ValidationError(
            f"The file is {file.size / 1024 / 1024:.1f} MB; documents may be at most 10 MB.", code="size"
        )


class Document(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(
        upload_to=_document_path,
        max_length=400,
        validators=[
            FileExtensionValidator(list(DOCUMENT_EXTENSIONS)),
            validate_document_size,
            validate_document_content,
        ],
    )
    name = models.CharField(max_length=255)
    size = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # Set when the document came with the applicant's reply to a reviewer's question.
    question = models.ForeignKey("Question", null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class QuestionQuerySet(models.QuerySet["Question"]):
    def open(self) -> QuestionQuerySet:
        """Questions still waiting for the applicant's answer."""
        return self.filter(status=Question.Status.OPEN)


class Question(models.Model):
    """A reviewer's question to the applicant (LITE's "ECJU query") and the applicant's reply.

    While one is open the request is "awaiting applicant": no decision is recorded, and the
    applicant is reminded after QUESTION_REMINDER_WORKING_DAYS working days without an answer.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting reply"
        ANSWERED = "answered", "Answered"
        WITHDRAWN = "withdrawn", "Withdrawn by the reviewer"

    class Action(models.TextChoices):
        ANSWER = "answer", "answered"
        WITHDRAW = "withdraw", "withdrawn"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField(max_length=MAX_RATIONALE)
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    reply = models.TextField(blank=True, max_length=MAX_RATIONALE)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)
    # Why the reviewer withdrew it (the applicant's answer is no longer needed).
    withdrawn_reason = models.TextField(blank=True, max_length=MAX_RATIONALE)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["asked_at", "id"]

    def __str__(self) -> str:
        return f"Question {self.pk} on {self.application_id}: {self.text[:40]}"

    def transition(self, action: str) -> str:
        """Move to the status the table gives for `action`; IllegalTransition if there is none."""
        self.status = next_status(QUESTION_TRANSITIONS, Question.Status, self.status, action, what="question")
        return self.status

    @property
    def is_open(self) -> bool:
        return self.status == Question.Status.OPEN


class CaseNoteQuerySet(models.QuerySet["CaseNote"]):
    def visible_to(self, user: User | AbstractBaseUser | AnonymousUser | None) -> CaseNoteQuerySet:
        """Reviewers, admins and auditors read every note; the applicant only notes shared with them."""
        if visibility_scope(user) == READ_ALL:
            return self.all()
        return self.filter(visible_to_applicant=True, application__in=Application.objects.for_user(user))


class NotesAreAppendOnly(Exception):
    """A note was edited or deleted: a correction is a new note."""


class CaseNote(models.Model):
    """A note on a case by a reviewer or a Compliance admin: internal unless shared with the applicant.

    Append-only, like the audit trail it belongs to: a note is never edited or deleted, a
    correction is a new note. `@username` mentions are resolved when it is written and notify
    each user named through the outbox.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=MAX_RATIONALE)
    visible_to_applicant = models.BooleanField(
        default=False, help_text="Internal by default; shared notes are shown to the applicant and e-mailed to them."
    )
    mentioned = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    objects = CaseNoteQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note {self.pk} on {self.application_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise NotesAreAppendOnly("A note is never edited: write a new note to correct it.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise NotesAreAppendOnly("A note is never deleted: write a new note to correct it.")


# The question status machine: (from, action) -> to. An answered or withdrawn question is closed.
QUESTION_TRANSITIONS: dict[tuple[str, str], str] = {
    (Question.Status.OPEN, Question.Action.ANSWER): Question.Status.ANSWERED,
    (Question.Status.OPEN, Question.Action.WITHDRAW): Question.Status.WITHDRAWN,
}


class Decision(models.Model):
    class Outcome(models.TextChoices):
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        RETURNED = "returned", "Returned without action"

    # One decision per request: the database itself refuses a second one.
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    rationale = models.TextField()
    conditions = models.TextField(blank=True)
    override_reason = models.TextField(blank=True)
    # The structured national-security assessment an approval over a denial policy carries.
    assessment = models.JSONField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    # The second reviewer who agreed, when the approval needed a second sign-off.
    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    countersigned_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} by {self.decided_by}"


class SignOffPolicy(models.Model):
    """When an approval needs a second reviewer's countersignature before the licence issues.

    A singleton row a Compliance admin sees and changes (with history). An approval needs a
    countersignature when (a) it overrides a presumption or policy of denial, (b) it carries a
    confirmed hit, or (c) the request's total value exceeds `value_threshold`; each rule can be
    switched off.
    """

    on_denial_override = models.BooleanField(
        "(a) overriding a presumption or policy of denial",
        default=True,
        help_text="Approving a request on which a hit under a denial policy was ever confirmed.",
    )
    on_confirmed_hit = models.BooleanField(
        "(b) carrying a confirmed hit", default=True, help_text="Approving a request with any confirmed hit."
    )
    value_threshold = models.DecimalField(
        "(c) total value above",
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        default=Decimal("1000000.00"),
        validators=[validate_positive],
        help_text="Approving a request whose total value exceeds this; empty: no value rule.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return "second sign-off rules"

    @classmethod
    def load(cls) -> SignOffPolicy:
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy


class SignOff(models.Model):
    """An approval put up for countersignature: the decider's proposal and the second reviewer's verdict.

    Agreement turns it into the request's Decision and issues the licence; disagreement, with a
    reason, sends the case back to the decider, who may revise and propose again (a new row).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting countersignature"
        AGREED = "agreed", "Countersigned"
        DISAGREED = "disagreed", "Sent back"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="sign_offs")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    rationale = models.TextField(max_length=MAX_RATIONALE)
    conditions = models.TextField(blank=True, max_length=MAX_RATIONALE)
    override_reason = models.TextField(blank=True, max_length=MAX_RATIONALE)
    assessment = models.JSONField(null=True, blank=True)
    # Why a second sign-off is needed, in words (which of the rules applied).
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    countersigned_at = models.DateTimeField(null=True, blank=True)
    countersign_reason = models.TextField(blank=True, max_length=MAX_RATIONALE)
    history = HistoricalRecords()

    class Meta:
        ordering = ["proposed_at", "id"]

    def __str__(self) -> str:
        return f"Sign-off {self.pk} on {self.application_id} ({self.status})"


class LicenceQuerySet(models.QuerySet["Licence"]):
    def valid(self) -> LicenceQuerySet:
        """Licences that may be shipped against today."""
        today = timezone.localdate()
        return self.filter(status=LicenceStatus.ACTIVE, valid_from__lte=today, valid_until__gte=today)

    def in_force(self) -> LicenceQuerySet:
        """Licences within their validity that have not ended (active, or held pending review)."""
        today = timezone.localdate()
        return self.filter(status__in=LICENCE_IN_FORCE, valid_from__lte=today, valid_until__gte=today)


class Licence(models.Model):
    number = models.CharField(max_length=20, unique=True, null=True, blank=True, editable=False)
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="licence")
    valid_from = models.DateField()
    valid_until = models.DateField()
    conditions = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=LicenceStatus.choices, default=LicenceStatus.ACTIVE)
    # The licence version this one replaced (an approved amendment); that one stays readable.
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by", editable=False
    )
    # Why the licence last changed status, in full (history's change reason is cut to 100 characters).
    status_reason = models.TextField(blank=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = LicenceQuerySet.as_manager()

    def __str__(self) -> str:
        return self.number or f"licence {self.pk}"

    def transition(self, action: str) -> str:
        self.status = next_status(LICENCE_TRANSITIONS, LicenceStatus, self.status, action, what="licence")
        return self.status

    def can(self, action: str) -> bool:
        return (self.status, action) in LICENCE_TRANSITIONS

    @property
    def shippable(self) -> bool:
        return self.status in LICENCE_SHIPPABLE

    def balances(self) -> list[LineBalance]:
        """Per licensed line: what the licence allows, what has shipped (net of reversals), what is left."""
        items = list(LineItem.objects.filter(application_id=self.application_id).order_by("pk"))
        # Each line and the lines it continues from earlier versions of the licence: an amendment
        # carries over what already shipped.
        lineage: dict[int, int] = {}
        frontier = {item.pk: item.carried_from_id for item in items}
        for item in items:
            lineage[item.pk] = item.pk
        while any(frontier.values()):
            parents = {pk: parent for pk, parent in frontier.items() if parent}
            for current, parent in parents.items():
                lineage[parent] = lineage[current]
            rows = LineItem.objects.filter(pk__in=list(parents.values())).values_list("pk", "carried_from_id")
            frontier = dict(rows)
        shipped: dict[int, tuple[Decimal, Decimal]] = {}
        for row in (
            ShipmentLine.objects.filter(item_id__in=list(lineage))
            .values("item_id")
            .annotate(quantity=Sum("quantity"), value=Sum("value"))
            .order_by()
        ):
            owner = lineage[row["item_id"]]
            before = shipped.get(owner, (ZERO, ZERO))
            shipped[owner] = (before[0] + (row["quantity"] or ZERO), before[1] + (row["value"] or ZERO))
        return [
            LineBalance(
                item=item,
                shipped_quantity=shipped.get(item.pk, (ZERO, ZERO))[0] or ZERO,
                shipped_value=shipped.get(item.pk, (ZERO, ZERO))[1] or ZERO,
            )
            for item in items
        ]


ZERO = Decimal("0")


@dataclass(frozen=True)
class LineBalance:
    """One licensed line drawn down by shipments: the licence's balance is the list of these."""

    item: LineItem
    shipped_quantity: Decimal
    shipped_value: Decimal

    @property
    def licensed_quantity(self) -> Decimal:
        return self.item.quantity

    @property
    def licensed_value(self) -> Decimal:
        return self.item.total

    @property
    def remaining_quantity(self) -> Decimal:
        return max(self.item.quantity - self.shipped_quantity, ZERO)

    @property
    def remaining_value(self) -> Decimal:
        return max(self.item.total - self.shipped_value, ZERO)

    @property
    def used_up(self) -> bool:
        """Nothing more can ship on this line: no units, or no value, left."""
        return self.remaining_quantity <= 0 or self.remaining_value <= 0


class LedgerIsAppendOnly(Exception):
    """Raised when code tries to edit or delete a shipment: a mistake is undone by a reversal entry."""


class AppendOnly(models.Model):
    """A row that is written once and never changed or deleted (the shipment ledger)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LedgerIsAppendOnly(f"{type(self).__name__} rows are append-only; record a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise LedgerIsAppendOnly(f"{type(self).__name__} rows are append-only and are never deleted.")


class Shipment(AppendOnly):
    """One entry in a licence's ledger: a shipment, or the reversal of one.

    Records of shipments are kept with the licence (15 CFR 762); a mistaken entry is undone by
    a reversal that names it and carries the same lines negated, never by an edit.
    """

    class Kind(models.TextChoices):
        SHIPMENT = "shipment", "Shipment"
        REVERSAL = "reversal", "Reversal"

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="shipments")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SHIPMENT)
    shipped_on = models.DateField()
    reference = models.CharField(max_length=100, help_text="Order or invoice number.")
    consignee = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    # A shipment is reversed at most once: the database refuses a second reversal.
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal")
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"


class ShipmentLine(AppendOnly):
    """A quantity and value of one licensed line, shipped (positive) or given back by a reversal (negative)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(LineItem, on_delete=models.PROTECT, related_name="shipment_lines")
    quantity = models.DecimalField(max_digits=14, decimal_places=2)
    value = models.DecimalField(max_digits=16, decimal_places=2)
    history = HistoricalRecords()

    class Meta:
        ordering = ["shipment", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.item_id}"


class CountryChart(models.Model):
    """One row of the Commerce Country Chart (15 CFR 738 Supp. 1): the reasons marked with an X.

    The chart of 2026-09-24 ships with Clearance and is loaded on migrate (`licensing.country_chart`);
    a newer one is loaded by a Compliance admin in the browser or by `manage.py load_country_chart`.
    """

    country = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=200, blank=True)
    reasons = models.JSONField(default=list, help_text="Reasons for control with an X, e.g. ['NS1', 'NS2'].")
    footnotes = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=500, blank=True)
    loaded_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["country"]

    def __str__(self) -> str:
        return f"{self.country}: {' '.join(self.reasons)}"


class HitQuerySet(models.QuerySet["Hit"]):
    def unresolved(self) -> HitQuerySet:
        """Hits that still weigh on a request: open (not reviewed yet) or confirmed."""
        return self.filter(status__in=[Hit.Status.OPEN, Hit.Status.CONFIRMED])

    def awaiting_acknowledgement(self) -> HitQuerySet:
        """Hits a list change resolved (entity delisted, or no longer matching) that no reviewer has seen."""
        return self.filter(status__in=HIT_AWAITING_ACKNOWLEDGEMENT)


class Hit(models.Model):
    """One licence-request party matching one listed entity, stamped with how it was found.

    Unique per (party, entity): screening the same pair again updates the row, so a re-screen
    that runs twice records each hit once, and a reviewer's clearance is remembered until the
    party or the entity changes (`party_fingerprint`, `entity_hash`).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLEARED = "cleared", "Cleared (false positive)"
        CONFIRMED = "confirmed", "Confirmed"
        DELISTED = "delisted", "Entity delisted"
        UNMATCHED = "unmatched", "No longer matches"
        ACKNOWLEDGED = "acknowledged", "List change acknowledged"

    class Action(models.TextChoices):
        CLEAR = "clear", "clear"
        CONFIRM = "confirm", "confirm"
        DELIST = "delist", "resolve as delisted"
        UNMATCH = "unmatch", "resolve as no longer matching"
        ACKNOWLEDGE = "acknowledge", "acknowledge"
        REOPEN = "reopen", "reopen"
        REVERSE = "reverse", "reverse the confirmation of"

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="hits")
    entity = models.ForeignKey("entities.Entity", on_delete=models.PROTECT, related_name="hits")
    score = models.FloatField()
    matched_name = models.CharField(max_length=500)
    explanation = models.JSONField(default=dict, blank=True)
    # The entity's licence requirement and review policy as they stood when the hit was found.
    license_requirement = models.TextField(blank=True)
    license_policy = models.CharField(max_length=32, blank=True)
    license_policy_text = models.TextField(blank=True)
    list_version = models.PositiveIntegerField(null=True, blank=True)
    threshold = models.FloatField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    rationale = models.TextField(blank=True)
    # Why a list change resolved the hit without a reviewer (delisted, or no longer matching),
    # in the system's words; kept after a reviewer acknowledges it, cleared when the hit reopens.
    resolution = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    party_fingerprint = models.CharField(max_length=64)
    entity_hash = models.CharField(max_length=64, blank=True)
    # Set when a remembered clearance (not a reviewer on this case) cleared the hit.
    cleared_by = models.ForeignKey(
        "RememberedClearance", null=True, blank=True, on_delete=models.PROTECT, related_name="cleared_hits"
    )
    # What a remembered clearance did to this hit, in words: applied, or why it no longer applies.
    clearance_note = models.TextField(blank=True)
    lapsed_clearance = models.ForeignKey(
        "RememberedClearance", null=True, blank=True, on_delete=models.PROTECT, related_name="lapsed_hits"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = HitQuerySet.as_manager()

    class Meta:
        ordering = ["party", "-score", "id"]
        constraints = [models.UniqueConstraint(fields=["party", "entity"], name="one_hit_per_party_and_entity")]

    def __str__(self) -> str:
        return f"{self.matched_name} ({self.score:.2f}, {self.status})"

    def transition(self, action: str) -> str:
        """Move to the status the table gives for `action`; IllegalTransition if there is none."""
        try:
            self.status = HIT_TRANSITIONS[(self.status, action)]
        except KeyError:
            done = HIT_ACTIONS_DONE.get(action, action)
            raise IllegalTransition(f"A hit marked “{self.get_status_display()}” cannot be {done}.") from None
        return self.status

    def can(self, action: str) -> bool:
        return (self.status, action) in HIT_TRANSITIONS

    @property
    def reviewable(self) -> bool:
        """A reviewer may clear or confirm it (the case page shows the form)."""
        return self.can(Hit.Action.CLEAR)

    @property
    def awaits_acknowledgement(self) -> bool:
        return self.can(Hit.Action.ACKNOWLEDGE)

    @property
    def license_policy_label(self) -> str:
        return str(dict(LicensePolicy.choices).get(self.license_policy, self.license_policy or "None stated"))


HS, HA = Hit.Status, Hit.Action

# The hit status machine: (from, action) -> to. Anything absent is an illegal move.
HIT_TRANSITIONS: dict[tuple[str, str], str] = {
    # A reviewer's verdict; a clearance may become a confirmation while the request is open.
    **{(status, HA.CLEAR): HS.CLEARED for status in (HS.OPEN, HS.CLEARED)},
    **{(status, HA.CONFIRM): HS.CONFIRMED for status in (HS.OPEN, HS.CLEARED, HS.CONFIRMED)},
    # A confirmed match is never quietly cleared: reversing it is its own action, by a reviewer
    # other than the one who confirmed it, with a rationale (`hits.reverse_confirmation`).
    (HS.CONFIRMED, HA.REVERSE): HS.CLEARED,
    # A list change resolves only hits nobody has ruled on: a reviewer's verdict is theirs to keep.
    (HS.OPEN, HA.DELIST): HS.DELISTED,
    (HS.OPEN, HA.UNMATCH): HS.UNMATCHED,
    # A hit the list change took away still needs a reviewer's look before the case is approved.
    (HS.DELISTED, HA.ACKNOWLEDGE): HS.ACKNOWLEDGED,
    (HS.UNMATCHED, HA.ACKNOWLEDGE): HS.ACKNOWLEDGED,
    # Screening finds the pair again (relisted, matching again, or party or entity changed).
    **{(status, HA.REOPEN): HS.OPEN for status in HS if status != HS.OPEN},
}

HIT_ACTIONS_DONE: dict[str, str] = {
    HA.CLEAR: "cleared",
    HA.CONFIRM: "confirmed",
    HA.DELIST: "resolved as delisted",
    HA.UNMATCH: "resolved as no longer matching",
    HA.ACKNOWLEDGE: "acknowledged",
    HA.REOPEN: "reopened",
    HA.REVERSE: "reversed",
}

# Resolved by a list change and not yet acknowledged: approval waits for a reviewer's look.
HIT_AWAITING_ACKNOWLEDGEMENT: tuple[str, ...] = tuple(
    status for (status, action) in HIT_TRANSITIONS if action == HA.ACKNOWLEDGE
)


class RememberedClearanceQuerySet(models.QuerySet["RememberedClearance"]):
    def in_force(self, today: date | None = None) -> RememberedClearanceQuerySet:
        """Not revoked and not past the review date: the ones screening may apply."""
        today = today or timezone.localdate()
        return self.filter(revoked_at__isnull=True, review_by__gte=today)

    def search(self, text: str) -> RememberedClearanceQuerySet:
        """By party name, entity name or the originating case's reference."""
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(party_name__icontains=text) | Q(entity__name__icontains=text) | Q(application__reference__icontains=text)
        )

    def with_state(self, state: str, today: date | None = None) -> RememberedClearanceQuerySet:
        today = today or timezone.localdate()
        if state == RememberedClearance.State.IN_FORCE:
            return self.in_force(today)
        if state == RememberedClearance.State.REVOKED:
            return self.filter(revoked_at__isnull=False)
        if state == RememberedClearance.State.DUE:
            return self.filter(revoked_at__isnull=True, review_by__lt=today)
        return self


class RememberedClearance(models.Model):
    """A reviewer's "false positive, remember this" on one party identity and one listed entity.

    Screening that finds the same party identity (normalised name, country, address) on the same
    entity again, while the entity's record is as it was (`entity_hash`) and the review date has
    not passed, records the hit as cleared by this row instead of opening it. The evidence the
    reviewer saw (the entity's record at that list version, the match explanation) is kept here,
    so the clearance can be judged later without the case.
    """

    class State(models.TextChoices):
        IN_FORCE = "in_force", "In force"
        DUE = "due", "Review date passed"
        REVOKED = "revoked", "Revoked"

    identity_key = models.CharField(max_length=64)
    # The folded name alone: finds the clearance for a party whose country or address changed,
    # so its hit can say why the clearance no longer applies.
    name_key = models.CharField(max_length=64)
    party_name = models.CharField(max_length=300)
    party_country = models.CharField(max_length=2)
    party_address = models.TextField(blank=True)
    entity = models.ForeignKey("entities.Entity", on_delete=models.PROTECT, related_name="remembered_clearances")
    entity_hash = models.CharField(max_length=64)
    list_version = models.PositiveIntegerField(null=True, blank=True)
    entity_record = models.JSONField(default=dict, help_text="The entity's record as of `list_version`.")
    score = models.FloatField()
    matched_name = models.CharField(max_length=500)
    explanation = models.JSONField(default=dict, blank=True)
    license_policy = models.CharField(max_length=32, blank=True)
    rationale = models.TextField()
    # The hit the reviewer cleared, and its case (kept even if the hit's party is later removed).
    hit = models.ForeignKey(Hit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    review_by = models.DateField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    objects = RememberedClearanceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["name_key", "entity"], name="clearance_name_entity")]

    def __str__(self) -> str:
        return f"remembered clearance {self.pk}: {self.party_name} / entity {self.entity_id}"

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.review_by < timezone.localdate():
            return self.State.DUE
        return self.State.IN_FORCE

    @property
    def state_label(self) -> str:
        return str(dict(self.State.choices)[self.state])

    def lapse_reason(self, *, identity_key: str, country: str, entity_hash: str, today: date) -> str | None:
        """Why this clearance does not clear a hit of this party identity on its entity today; None if it does.

        The order is the one a reviewer acts on: a revocation is a person's word, then the
        records that changed, then the calendar.
        """
        if self.revoked_at is not None:
            when = timezone.localtime(self.revoked_at).date().isoformat()
            return f"it was revoked on {when}: {self.revoke_reason}"
        if identity_key != self.identity_key:
            if country.strip().upper() != self.party_country:
                return f"the party's country is {country or 'not given'}, not {self.party_country} as remembered"
            return "the party's name or address differs from the one remembered"
        if entity_hash != self.entity_hash:
            version = f"list version {self.list_version}" if self.list_version is not None else "it was remembered"
            return f"the entity's record changed since {version}"
        if self.review_by < today:
            return f"its review date {self.review_by.isoformat()} has passed"
        return None


class ExportCheckQuerySet(models.QuerySet["ExportCheck"]):
    def search(self, text: str) -> ExportCheckQuerySet:
        """Checks whose licence number, reference, consignee or end user mentions `text`."""
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(licence_number__icontains=text)
            | Q(reference__icontains=text)
            | Q(consignee_name__icontains=text)
            | Q(end_user_name__icontains=text)
        )


class ExportCheck(AppendOnly):
    """One question an order system asked before an order left, and the answer it got.

    Kept as a record (15 CFR 762): who asked, when, what, the answer with every reason, and the
    list version the parties were screened against. With an Idempotency-Key the same system asking
    again gets this answer back and nothing is shipped twice: the key is unique per caller.
    """

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_hash = models.CharField(max_length=64)
    payload = models.JSONField()
    answer = models.JSONField()
    allowed = models.BooleanField()
    list_version = models.PositiveIntegerField(null=True, blank=True)
    licence = models.ForeignKey(Licence, null=True, blank=True, on_delete=models.PROTECT, related_name="checks")
    licence_number = models.CharField(max_length=40, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    consignee_name = models.CharField(max_length=300, blank=True)
    end_user_name = models.CharField(max_length=300, blank=True)
    shipment = models.OneToOneField(
        Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="export_check"
    )

    objects = ExportCheckQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="one_check_per_caller_and_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"export check {self.pk} ({'allowed' if self.allowed else 'blocked'})"
