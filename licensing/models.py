"""Licence requests (modelled on BIS-748P), their decisions, the licences issued, and the country chart."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.models import HistoricalRecords

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
    max_quantity,
    max_unit_price,
    validate_country,
    validate_document_content,
    validate_eccn,
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
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_applications"
    )
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Re-screening sets these when a new hit arrives on an open case.
    needs_attention = models.BooleanField(default=False)
    attention_reason = models.TextField(blank=True)
    last_screened_version = models.PositiveIntegerField(null=True, blank=True)
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


class Party(models.Model):
    class Role(models.TextChoices):
        PURCHASER = "purchaser", "Purchaser"
        INTERMEDIATE_CONSIGNEE = "intermediate_consignee", "Intermediate consignee"
        ULTIMATE_CONSIGNEE = "ultimate_consignee", "Ultimate consignee"
        END_USER = "end_user", "End user"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(max_length=24, choices=Role.choices)
    name = models.CharField(max_length=300)
    address = models.TextField(blank=True, max_length=MAX_ADDRESS)
    country = models.CharField(max_length=2, validators=[validate_country], help_text="ISO 3166 two-letter code.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["application", "id"]
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name} ({self.country})"


class LineItem(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="items")
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
    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


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
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} by {self.decided_by}"


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

    Loaded from a file by `manage.py load_country_chart`; the chart is third-party data and is
    never shipped in the repository.
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
    # A reviewer's verdict; a reviewer may change their mind while the request is open.
    **{(status, HA.CLEAR): HS.CLEARED for status in (HS.OPEN, HS.CLEARED, HS.CONFIRMED)},
    **{(status, HA.CONFIRM): HS.CONFIRMED for status in (HS.OPEN, HS.CLEARED, HS.CONFIRMED)},
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
}

# Resolved by a list change and not yet acknowledged: approval waits for a reviewer's look.
HIT_AWAITING_ACKNOWLEDGEMENT: tuple[str, ...] = tuple(
    status for (status, action) in HIT_TRANSITIONS if action == HA.ACKNOWLEDGE
)


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
