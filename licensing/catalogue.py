"""The address book and the product catalogue: parties and products Sales pick instead of retype.

Both are masters that rows copy from: a request keeps its own parties and items, so an edit here
never reaches a request already filed. A product's classification is "self-classified" until a
reviewer or Compliance admin confirms it; the case page then shows which items rest on a
confirmed classification and flags an item whose ECCN differs from it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Q, QuerySet, When
from django.utils import timezone

from lib.history import attribute
from lib.roles import Role, has_role
from licensing.models import AddressBookEntry, Application, LineItem, Product
from licensing.validators import normalise_eccn

# What a search returns while the user types: enough to choose from, small enough to be quick.
SEARCH_LIMIT = 20
MAX_QUERY = 200

# Who may keep each master: Sales build them as they file; Compliance admins tidy them.
ADDRESS_BOOK_EDITORS = (Role.SALES, Role.COMPLIANCE_ADMIN)
CATALOGUE_EDITORS = (Role.SALES, Role.REVIEWER, Role.COMPLIANCE_ADMIN)
# Confirming a classification is a compliance judgement: never the salesperson's own.
CLASSIFIERS = (Role.REVIEWER, Role.COMPLIANCE_ADMIN)


def may_edit_address_book(user: User) -> bool:
    return has_role(user, *ADDRESS_BOOK_EDITORS)


def may_edit_catalogue(user: User) -> bool:
    return has_role(user, *CATALOGUE_EDITORS)


def may_confirm_classification(user: User) -> bool:
    return has_role(user, *CLASSIFIERS)


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def address_key(*, name: str, country: str, address: str) -> str:
    """The one way an address-book entry's identity is built: casefolded name, country, address."""
    raw = "\x1f".join((_fold(name), country.strip().upper(), _fold(address)))
    return hashlib.sha256(raw.encode()).hexdigest()


def _words(query: str) -> list[str]:
    # PostgreSQL refuses a NUL character in a query parameter: a typed one would be a 500.
    return query[:MAX_QUERY].replace("\x00", " ").split()


def search_address_book(query: str) -> QuerySet[AddressBookEntry]:
    """Entries whose name, country or address contain every word typed, best known first."""
    entries = AddressBookEntry.objects.all()
    for word in _words(query):
        entries = entries.filter(Q(name__icontains=word) | Q(address__icontains=word) | Q(country__iexact=word))
    return entries.order_by("name", "country", "id")


def search_products(query: str) -> QuerySet[Product]:
    """Products whose description, model, manufacturer or ECCN contain every word typed; confirmed first."""
    products = Product.objects.select_related("classified_by")
    for word in _words(query):
        products = products.filter(
            Q(description__icontains=word)
            | Q(model__icontains=word)
            | Q(manufacturer__icontains=word)
            | Q(eccn__iexact=word)
        )
    confirmed_first = Case(When(classification=Product.Classification.CONFIRMED, then=0), default=1)
    return products.order_by(confirmed_first, "description", "model", "id")


def _full_clean(obj: AddressBookEntry | Product) -> None:
    obj.full_clean(exclude=["key", "created_by", "classified_by"], validate_unique=False)


def remember_parties(*, actor: User, parties: Iterable[tuple[str, str, str]]) -> int:
    """Add the (name, address, country) of parties just saved on a request to the address book.

    An entry already there (same name, country and address, however cased or spaced) is kept as
    it is. Returns how many entries were added.
    """
    added = 0
    for name, address, country in parties:
        key = address_key(name=name, country=country, address=address)
        if AddressBookEntry.objects.filter(key=key).exists():
            continue
        entry = AddressBookEntry(name=name, address=address, country=country, key=key, created_by=actor)
        attribute(entry, actor, "Used on a licence request")
        entry.save()
        added += 1
    return added


@transaction.atomic
def update_address_entry(
    *, actor: User, entry: AddressBookEntry, name: str, address: str, country: str
) -> AddressBookEntry:
    """Correct an entry. Requests that used it keep their own copy of the party, unchanged."""
    if not may_edit_address_book(actor):
        raise PermissionDenied("Only Sales users and Compliance admins edit the address book.")
    entry = AddressBookEntry.objects.select_for_update().get(pk=entry.pk)
    entry.name = " ".join(name.split())
    entry.address = address.strip()
    entry.country = country.strip().upper()
    _full_clean(entry)
    entry.key = address_key(name=entry.name, country=entry.country, address=entry.address)
    if AddressBookEntry.objects.filter(key=entry.key).exclude(pk=entry.pk).exists():
        raise ValidationError({"name": "The address book already has this party with this address."})
    attribute(entry, actor, "Address book entry edited")
    entry.save()
    return entry


@dataclass(frozen=True)
class ProductData:
    description: str
    eccn: str
    model: str = ""
    manufacturer: str = ""
    reasons_for_control: str = ""


@transaction.atomic
def save_product(*, actor: User, data: ProductData, product: Product | None = None) -> Product:
    """Add a product to the catalogue or edit one, self-classified by whoever typed the ECCN.

    Changing a confirmed product's ECCN or reasons for control undoes the confirmation: what a
    reviewer confirmed was the old classification, and items already filed keep theirs.
    """
    if not may_edit_catalogue(actor):
        raise PermissionDenied("Your role does not edit the product catalogue.")
    if product is None:
        product = Product(created_by=actor)
        reason = "Product added (self-classified)"
    else:
        product = Product.objects.select_for_update().get(pk=product.pk)
        reason = "Product edited"
    eccn = normalise_eccn(data.eccn)
    reasons = " ".join(data.reasons_for_control.split()).upper()
    reclassified = product.pk is not None and (eccn != product.eccn or reasons != product.reasons_for_control)
    product.description = data.description.strip()
    product.model = data.model.strip()
    product.manufacturer = data.manufacturer.strip()
    product.eccn = eccn
    product.reasons_for_control = reasons
    if reclassified and product.is_confirmed:
        product.classification = Product.Classification.SELF_CLASSIFIED
        product.classified_by = actor
        product.classified_at = timezone.now()
        product.classification_note = ""
        reason = f"Reclassified as {eccn}: confirmation undone"
    elif reclassified:
        reason = f"Reclassified as {eccn} (self-classified)"
    _full_clean(product)
    attribute(product, actor, reason)
    product.save()
    return product


def mismatch_reason(product: Product) -> str:
    return f"An item's ECCN differs from the confirmed classification of “{product}” ({product.eccn})."


@dataclass(frozen=True)
class ItemClassification:
    """How one line item's classification stands against the catalogue."""

    item: LineItem
    product: Product | None

    @property
    def confirmed(self) -> bool:
        return self.product is not None and self.product.is_confirmed

    @property
    def mismatch(self) -> bool:
        """The product's classification is confirmed and the item says another ECCN."""
        return self.confirmed and self.product is not None and self.item.eccn != self.product.eccn

    @property
    def label(self) -> str:
        if self.product is None:
            return "Not from the catalogue"
        if self.mismatch:
            return f"ECCN differs from the confirmed {self.product.eccn}"
        if self.confirmed:
            return "Confirmed classification"
        return "Self-classified"


def classifications(application: Application) -> list[ItemClassification]:
    """Each item of the request with the catalogue product it rests on (one query)."""
    items = application.items.select_related("product__classified_by").order_by("pk")
    return [ItemClassification(item=item, product=item.product) for item in items]


def mismatches(application: Application) -> list[ItemClassification]:
    return [c for c in classifications(application) if c.mismatch]
