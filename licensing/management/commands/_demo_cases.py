"""The demo requests of `seed_demo`: every state a case can be in, made through the real services.

Nothing here writes a status or a hit directly: requests are filed, submitted (and so screened),
assigned, reviewed and decided by the demo users, and the case on hold got there because the list
changed and the re-screen found its end user, exactly as in production. Only the re-screen is run
in this process rather than waiting for a worker, so the demo is complete when the command ends.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.contrib.auth.models import User
from django.db import transaction

from compliance import rescreen
from compliance.models import RescreenJob
from compliance.rescreen.chunks import run_chunk
from entities.models import Entity, ListVersion, ListVersionChange
from entities.records import AddressRecord, EntityRecord
from entities.services import begin_version, finish_version, write_entity
from licensing import catalogue, services
from licensing.catalogue import ProductData
from licensing.models import Application, Hit, Product, SignOff
from licensing.services import ApplicationData, ItemData, PartyData

DEMO_SALES = ("sales", "sales2")


class Writer(Protocol):
    def write(self, text: str) -> object: ...


EL = "Entity List (EL) - Bureau of Industry and Security"

# The list change that puts an open case on hold: a supplier of an open request is listed.
LISTED_LATER = EntityRecord(
    key="demo:EL:zhongxing-microwave",
    source="EL",
    source_name=EL,
    name="Zhongxing Microwave Components Co., Ltd.",
    federal_register_notice="89 FR 12345, 2/29/2024 (demo)",
    license_requirement="For all items subject to the EAR. (See §744.11 of the EAR).",
    license_policy="presumption_of_denial",
    license_policy_text="Presumption of denial.",
    addresses=(AddressRecord(address="1 Keji Road", city="Xi'an", country="CN"),),
)

PRODUCTS: dict[str, ProductData] = {
    "router": ProductData(
        description="Enterprise router with mass-market encryption",
        model="RX-7",
        manufacturer="Acme Networks",
        eccn="5A992.c",
        reasons_for_control="AT1",
    ),
    "scope": ProductData(
        description="Digital storage oscilloscope, 2 GHz",
        model="DSO-2000",
        manufacturer="Northwind Instruments",
        eccn="3A992.a",
        reasons_for_control="AT1",
    ),
    "housing": ProductData(
        description="Injection-moulded plastic router housings",
        model="H-10",
        manufacturer="Acme Plastics",
        eccn="EAR99",
    ),
    "meter": ProductData(
        description="Handheld digital multimeter", model="DM-5", manufacturer="Acme Tools", eccn="EAR99"
    ),
}
# Confirmed by a reviewer or admin; the others stay as Sales classified them.
CONFIRMED = {"router": "reviewer", "scope": "admin"}


@dataclass
class Case:
    """One demo request and what happens to it."""

    title: str
    applicant: str
    destination: str
    end_use: str
    parties: tuple[PartyData, ...]
    items: tuple[tuple[str, str, str], ...]  # (product key, quantity, unit price)
    # submit, assign, clear, confirm, ask, approve, approve_pending (left for the countersigner),
    # deny, return, withdraw
    steps: tuple[str, ...] = ()
    conditions: str = ""
    override: str = ""
    rationale: str = ""
    eccn_typed: dict[int, str] = field(default_factory=dict)  # item position -> ECCN retyped by Sales


def _party(role: str, name: str, country: str, address: str) -> PartyData:
    return PartyData(role=role, name=name, country=country, address=address)


CASES: tuple[Case, ...] = (
    Case(
        "Draft: lab instruments for a Canadian university",
        "sales",
        "CA",
        "Teaching laboratory at a public university.",
        (_party("end_user", "Maple Leaf University", "CA", "75 Laurier Ave E, Ottawa"),),
        (("meter", "40", "85.00"),),
    ),
    Case(
        "Draft: oscilloscopes for a German distributor",
        "sales2",
        "DE",
        "",
        (_party("purchaser", "Rheinland Messtechnik GmbH", "DE", "Königsallee 1, Düsseldorf"),),
        (("scope", "6", "4200.00"),),
    ),
    Case(
        "Submitted: routers for a Japanese hotel chain",
        "sales",
        "JP",
        "Guest Wi-Fi in 30 hotels.",
        (
            _party("purchaser", "Sakura Systems KK", "JP", "1-1 Marunouchi, Tokyo"),
            _party("end_user", "Fuji Hotels Group", "JP", "2-3 Shinjuku, Tokyo"),
        ),
        (("router", "120", "640.00"),),
        steps=("submit",),
    ),
    Case(
        "Submitted with a possible match: housings for a Shenzhen assembler",
        "sales2",
        "CN",
        "Housings for consumer routers assembled in Shenzhen.",
        (_party("end_user", "HUAWEI TECH CO LTD", "CN", "Bantian, Longgang District, Shenzhen"),),
        (("housing", "5000", "2.40"),),
        steps=("submit",),
    ),
    Case(
        "In review: routers through a Dubai free-zone trader",
        "sales",
        "AE",
        "Resale to hospitality customers in the Gulf.",
        (
            _party("intermediate_consignee", "Alfa Trading FZE", "AE", "Jebel Ali Free Zone, Dubai"),
            _party("end_user", "Gulf Pearl Hotels LLC", "AE", "Corniche Road, Abu Dhabi"),
        ),
        (("router", "40", "650.00"),),
        steps=("submit", "assign"),
    ),
    Case(
        "In review, hit cleared: a namesake of a listed trader",
        "sales2",
        "US",
        "Spare multimeters for an oil-field service depot.",
        (_party("end_user", "Alfa Trading LLC", "US", "1200 Smith St, Houston, TX"),),
        (("meter", "10", "85.00"),),
        steps=("submit", "assign", "clear"),
        rationale="Different company: a Houston distributor since 1988, not the Dubai free-zone entity.",
    ),
    Case(
        "On hold after a list change: oscilloscopes for a Xi'an supplier",
        "sales",
        "CN",
        "Incoming inspection of microwave components.",
        (_party("end_user", "Zhongxing Microwave Components Ltd", "CN", "1 Keji Road, Xi'an"),),
        (("scope", "2", "4100.00"),),
        steps=("submit", "assign"),
    ),
    Case(
        "Approved with a licence: multimeters for Canada",
        "sales",
        "CA",
        "Maintenance of power-grid substations.",
        (_party("end_user", "Northern Grid Services Inc", "CA", "200 Bay St, Toronto"),),
        (("meter", "150", "80.00"),),
        steps=("submit", "assign", "approve"),
        rationale="EAR99 general merchandise to a known utility contractor; no party listed.",
    ),
    Case(
        "Approved with conditions over a presumption of denial (the 2019 story)",
        "sales2",
        "CN",
        "Plastic housings for consumer routers: no controlled technology.",
        (_party("end_user", "Huawei Technologies Co Ltd", "CN", "Bantian, Longgang District, Shenzhen"),),
        (("housing", "20000", "2.30"),),
        steps=("submit", "assign", "confirm", "approve"),
        rationale="EAR99 housings are general merchandise; no threat to US national security.",
        conditions="No re-export; end use limited to consumer routers; no technology transfer.",
        override="Commerce guidance (2019): licences where there is no threat to national security.",
    ),
    Case(
        "Denied: oscilloscopes for a state defence corporation",
        "sales",
        "RU",
        "Test benches for avionics.",
        (_party("end_user", "Rostec State Corporation", "RU", "24 Usacheva St., Moscow"),),
        (("scope", "4", "4300.00"),),
        steps=("submit", "assign", "confirm", "deny"),
        rationale="Listed under a policy of denial; avionics test equipment for a defence end user.",
    ),
    Case(
        "Returned without action: end use too vague",
        "sales2",
        "BR",
        "General use.",
        (_party("end_user", "Amazonia Telecom SA", "BR", "Av. Paulista 1000, São Paulo"),),
        (("router", "10", "700.00"),),
        steps=("submit", "assign", "return"),
        rationale="Returned: describe the specific end use and the sites where the routers will run.",
    ),
    Case(
        "Awaiting the applicant: a reviewer asked for the end-user statement",
        "sales",
        "SG",
        "Network upgrade for a logistics warehouse.",
        (_party("end_user", "Lion City Logistics Pte Ltd", "SG", "10 Changi South Lane, Singapore"),),
        (("router", "12", "640.00"),),
        steps=("submit", "assign", "ask"),
        rationale="Please attach the signed end-user statement and say which sites the routers serve.",
    ),
    Case(
        "Awaiting countersignature: a large order over the value threshold",
        "sales2",
        "DE",
        "Test benches for an automotive supplier's quality lab.",
        (_party("end_user", "Schwaben Prüftechnik GmbH", "DE", "Industriestraße 5, Stuttgart"),),
        (("scope", "300", "4200.00"),),
        steps=("submit", "assign", "approve_pending"),
        rationale="Known customer; oscilloscopes for quality control; no party listed.",
    ),
    Case(
        "Withdrawn: deal lost",
        "sales",
        "MX",
        "Retail point-of-sale networks.",
        (_party("end_user", "Tiendas del Norte SA de CV", "MX", "Av. Constitución 400, Monterrey"),),
        (("router", "25", "600.00"),),
        steps=("submit", "withdraw"),
    ),
    Case(
        "Flagged: an ECCN retyped away from the confirmed classification",
        "sales2",
        "IN",
        "Campus network for an engineering college.",
        (_party("end_user", "Deccan Institute of Technology", "IN", "Hitech City, Hyderabad"),),
        (("router", "60", "620.00"),),
        steps=("submit",),
        eccn_typed={0: "EAR99"},
    ),
)


def _products(users: dict[str, User]) -> dict[str, Product]:
    products: dict[str, Product] = {}
    for key, data in PRODUCTS.items():
        product = Product.objects.filter(description=data.description, model=data.model).first()
        if product is None:
            product = catalogue.save_product(actor=users["sales"], data=data)
            if key in CONFIRMED:
                product = services.confirm_classification(
                    actor=users[CONFIRMED[key]],
                    product=product,
                    eccn=data.eccn,
                    reasons_for_control=data.reasons_for_control,
                    note="Checked against the Commerce Control List and the maker's data sheet (demo).",
                )
        products[key] = product
    return products


def _file(case: Case, users: dict[str, User], products: dict[str, Product]) -> Application:
    applicant = users[case.applicant]
    items = []
    for position, (key, quantity, price) in enumerate(case.items):
        product = products[key]
        items.append(
            ItemData(
                eccn=case.eccn_typed.get(position, product.eccn),
                description=product.description,
                model=product.model,
                manufacturer=product.manufacturer,
                reasons_for_control=product.reasons_for_control if position not in case.eccn_typed else "",
                quantity=Decimal(quantity),
                unit_price=Decimal(price),
                product_id=product.pk,
            )
        )
    data = ApplicationData(
        type="export", destination_country=case.destination, end_use=case.end_use, parties=case.parties, items=items
    )
    application = services.create_application(actor=applicant, data=data)
    reviewer = users["reviewer"]
    for step in case.steps:
        if step == "submit":
            application = services.submit(actor=applicant, application=application)
        elif step == "assign":
            application = services.assign(actor=reviewer, application=application)
        elif step in ("clear", "confirm"):
            review = services.clear_hit if step == "clear" else services.confirm_hit
            for hit in Hit.objects.filter(party__application=application, status=Hit.Status.OPEN):
                review(actor=reviewer, hit=hit, rationale=case.rationale or "Same company as the list entry.")
        elif step == "ask":
            services.ask_question(actor=reviewer, application=application, text=case.rationale)
        elif step in ("approve", "approve_pending", "deny", "return"):
            outcome = {"approve": "approved", "approve_pending": "approved", "deny": "denied", "return": "returned"}[
                step
            ]
            made = services.decide(
                actor=reviewer,
                application=application,
                outcome=outcome,
                rationale=case.rationale,
                conditions=case.conditions,
                override_reason=case.override,
                assessment=_assessment(application, case) if step == "approve" and case.override else None,
            )
            if isinstance(made, SignOff) and step == "approve":
                # The sign-off rules want a second pair of eyes: the other demo reviewer agrees.
                services.countersign(actor=users["reviewer2"], application=application, agree=True)
        elif step == "withdraw":
            application = services.withdraw(actor=applicant, application=application, reason="Deal lost.")
    return application


def _assessment(application: Application, case: Any) -> dict[str, Any]:
    """The national-security assessment an override of a denial policy is approved on."""
    return {
        "items": [
            {
                "item": item.pk,
                "reasons_for_control": item.reasons_for_control or "AT",
                "relevance": "Anti-terrorism controls only; the item is sold commercially to any buyer.",
            }
            for item in application.items.all()
        ],
        "end_use": case.end_use,
        "no_risk_to_national_security": True,
        "grounds": case.override,
    }


def _list_change(admin: User) -> int | None:
    """List the Xi'an supplier, as an admin would, and run the re-screen the change asks for."""
    if Entity.objects.filter(key=LISTED_LATER.key).exists():
        return None
    reason = "Demo list change: a supplier of an open request is added to the Entity List"
    with transaction.atomic():
        version = begin_version(actor=admin, kind=ListVersion.Kind.CREATE, reason=reason)
        entity = write_entity(Entity(), LISTED_LATER, version=version, actor=admin, reason=reason)
        finish_version(version, [(entity.pk, ListVersionChange.Change.ADDED, [])])
    job = RescreenJob.objects.filter(list_version=version.number, kind=RescreenJob.Kind.DELTA).first()
    if job is not None:
        # What the worker would do: plan the job once, then screen each chunk (both idempotent).
        for chunk_id in rescreen.start_job(job.pk):
            run_chunk(chunk_id)
    return version.number


def seed(out: Writer) -> None:
    """File the demo requests once; a second run finds them and adds nothing."""
    names = ["sales", "sales2", "reviewer", "reviewer2", "admin"]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    if Application.objects.filter(applicant__username__in=DEMO_SALES).exists():
        out.write("Demo requests already there.\n")
        return
    products = _products(users)
    made = [_file(case, users, products) for case in CASES]
    version = _list_change(users["admin"])
    by_status = Counter(a.get_status_display() for a in Application.objects.filter(pk__in=[m.pk for m in made]))
    out.write(f"Demo requests: {len(made)} ({', '.join(f'{n} {s.lower()}' for s, n in sorted(by_status.items()))}).\n")
    hits = Counter(Hit.objects.filter(party__application__in=made).values_list("status", flat=True))
    out.write(f"Screening hits: {', '.join(f'{n} {s}' for s, n in sorted(hits.items()))}.\n")
    if version is not None:
        out.write(f"List version {version} listed a supplier of an open request; the re-screen put it on hold.\n")
    out.write(
        f"Catalogue: {Product.objects.count()} products ({len(CONFIRMED)} confirmed); "
        f"address book: {catalogue.search_address_book('').count()} parties.\n"
    )
