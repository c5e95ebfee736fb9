"""Is a licence required? A pure function over a request's items, destination and hits.

Two rules from the EAR, in order of reach:
- a party on the Entity List with a licence requirement makes a licence necessary for every item
  subject to the EAR, EAR99 included (15 CFR 744.11);
- otherwise an item needs a licence when one of its reasons for control meets an X for the
  destination in the Commerce Country Chart (15 CFR 738 Supp. 1).

Where Clearance cannot tell (no chart loaded, an ECCN it does not know, a destination missing
from the chart) it says so and treats a controlled item as needing a licence: a false "required"
costs a reviewer a look, a false "not required" costs an export violation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from entities.models import STRICTNESS, LicensePolicy

# Destinations under comprehensive embargo (15 CFR 746): the chart copy Clearance reads has no AT
# column, so they are named here rather than inferred.
EMBARGOED: dict[str, str] = {"CU": "Cuba", "IR": "Iran", "KP": "North Korea", "SY": "Syria"}

# Reasons for control of common ECCNs, hand-written from the structure of the Commerce Control
# List (Supp. 1 to Part 774). Paragraph-level nuances are not modelled: a line item's own
# `reasons_for_control` overrides this table when the exporter knows better.
ECCN_REASONS: dict[str, tuple[str, ...]] = {
    "0A501": ("NS1", "RS1", "AT1"),
    "1A004": ("CB2", "AT1"),
    "1C350": ("CB2", "AT1"),
    "2B001": ("NS2", "NP1", "AT1"),
    "2B350": ("CB2", "AT1"),
    "3A001": ("NS2", "MT1", "NP1", "AT1"),
    "3A002": ("NS2", "MT1", "AT1"),
    "3A090": ("RS2", "AT1"),
    "3B001": ("NS2", "AT1"),
    "3C001": ("NS2", "AT1"),
    "3D001": ("NS1", "AT1"),
    "3E001": ("NS1", "MT1", "NP1", "AT1"),
    "4A001": ("NS2", "MT1", "AT1"),
    "4A003": ("NS2", "AT1"),
    "4A090": ("RS2", "AT1"),
    "4D001": ("NS1", "AT1"),
    "5A001": ("NS1", "AT1"),
    "5A002": ("NS1", "AT1"),
    "5A004": ("NS1", "AT1"),
    "5D002": ("NS1", "AT1"),
    "5E002": ("NS1", "AT1"),
    "6A003": ("NS2", "NP1", "RS1", "AT1"),
    "6A005": ("NS2", "AT1"),
    "7A003": ("NS2", "MT1", "AT1"),
    "9A610": ("NS1", "RS1", "MT1", "AT1"),
}
# "xY99x" entries (3A991, 5A992, 4A994, ...) are controlled for anti-terrorism reasons only.
AT_ONLY_RE = re.compile(r"^[0-9][A-E]99[0-9]$")


@dataclass(frozen=True)
class ItemFacts:
    eccn: str
    reasons_for_control: str = ""
    description: str = ""


@dataclass(frozen=True)
class ListedFacts:
    """A hit that still weighs on the request (open or confirmed)."""

    party_name: str
    entity_name: str
    source: str
    license_requirement: str
    license_policy: str
    status: str


@dataclass
class Determination:
    required: bool
    reasons: list[str] = field(default_factory=list)
    strictest_policy: str | None = None
    strictest_policy_label: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def reasons_for(item: ItemFacts) -> tuple[str, ...] | None:
    """The item's reasons for control; () for EAR99; None when Clearance does not know."""
    from licensing.validators import normalise_eccn, parse_reasons

    if item.reasons_for_control.strip():
        return tuple(parse_reasons(item.reasons_for_control))
    eccn = normalise_eccn(item.eccn)
    if eccn == "EAR99":
        return ()
    head = eccn.split(".")[0]
    if head in ECCN_REASONS:
        return ECCN_REASONS[head]
    if AT_ONLY_RE.match(head):
        return ("AT1",)
    return None


def strictest(policies: Iterable[str]) -> str | None:
    known = [p for p in policies if p]
    if not known:
        return None
    return min(known, key=lambda p: STRICTNESS.get(p, len(STRICTNESS)))


def determine(
    *,
    items: Sequence[ItemFacts],
    destination: str,
    listed: Sequence[ListedFacts],
    chart: Mapping[str, frozenset[str]] | None,
) -> Determination:
    """Whether the request needs a licence, why, and the strictest review policy among its hits."""
    destination = destination.upper()
    reasons: list[str] = []
    required = False

    for hit in listed:
        pending = " (possible match, not yet reviewed)" if hit.status == "open" else ""
        if hit.license_requirement.strip():
            required = True
            # The requirement's full text is on the hit; here it would repeat for every alias matched.
            reasons.append(
                f"{hit.party_name} matches {hit.entity_name} on the {hit.source} list{pending}: "
                "licence required for all items subject to the EAR, EAR99 included"
            )
        else:
            reasons.append(
                f"{hit.party_name} matches {hit.entity_name} on the {hit.source} list{pending}; "
                "the list states no EAR licence requirement: check the list's own prohibitions"
            )

    if destination in EMBARGOED:
        required = True
        reasons.append(
            f"{EMBARGOED[destination]} is under embargo (15 CFR 746): "
            "a licence is required for items subject to the EAR"
        )

    chart_row = None if chart is None else chart.get(destination)
    for item in items:
        label = f"{item.eccn}" + (f" ({item.description[:40]})" if item.description else "")
        item_reasons = reasons_for(item)
        if item_reasons == ():
            continue
        if item_reasons is None:
            required = True
            reasons.append(
                f"{label}: ECCN not in Clearance's reasons-for-control table; treated as needing a licence "
                "(enter its reasons for control to check it against the country chart)"
            )
            continue
        if chart is None:
            required = True
            reasons.append(f"{label}: the Commerce Country Chart is not loaded; treated as needing a licence")
            continue
        if chart_row is None:
            required = True
            reasons.append(f"{label}: {destination} is not in the loaded country chart; treated as needing a licence")
            continue
        met = [r for r in item_reasons if r in chart_row]
        if met:
            required = True
            reasons.append(f"{label}: {', '.join(met)} marked for {destination} in the Commerce Country Chart")

    if not required:
        reasons.append(
            f"No listed party, and no item's reasons for control meet an X for {destination} in the country chart"
        )
    policy = strictest(hit.license_policy for hit in listed)
    policy_label = str(dict(LicensePolicy.choices).get(policy, policy)) if policy else None
    return Determination(
        required=required, reasons=reasons, strictest_policy=policy, strictest_policy_label=policy_label
    )
