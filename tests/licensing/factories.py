"""Licence-request factories: keyword arguments in, saved rows out, through the real services."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User

from lib.roles import Role
from licensing import services
from licensing.models import Application, Licence
from licensing.services import ApplicationData, ItemData, PartyData
from tests.factories import make_user


def party(
    name: str = "Maple Leaf Instruments Ltd", *, role: str = "end_user", country: str = "CA", **kw: Any
) -> PartyData:
    return PartyData(role=role, name=name, country=country, address=kw.pop("address", "1 Main Street, Ottawa"), **kw)


def item(eccn: str = "EAR99", *, quantity: str = "10", unit_price: str = "25.00", **kw: Any) -> ItemData:
    return ItemData(
        eccn=eccn,
        description=kw.pop("description", "Bench power supplies"),
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        **kw,
    )


def application_data(
    *,
    destination: str = "CA",
    parties: Sequence[PartyData] | None = None,
    items: Sequence[ItemData] | None = None,
    end_use: str = "Teaching laboratory equipment for a university.",
    type: str = "export",
) -> ApplicationData:
    return ApplicationData(
        type=type,
        destination_country=destination,
        end_use=end_use,
        parties=tuple(parties if parties is not None else [party(country=destination)]),
        items=tuple(items if items is not None else [item()]),
    )


def make_application(
    *,
    applicant: User | None = None,
    submitted: bool = False,
    assigned_to: User | None = None,
    **kwargs: Any,
) -> Application:
    """A draft (or, with `submitted=True`, a screened submitted request) filed by a Sales user."""
    applicant = applicant or make_user(Role.SALES)
    application = services.create_application(actor=applicant, data=application_data(**kwargs))
    if submitted or assigned_to is not None:
        application = services.submit(actor=applicant, application=application)
    if assigned_to is not None:
        application = services.assign(actor=assigned_to, application=application)
    return application


def assessment_for(
    application: Application, *, grounds: str = "Consumer handsets only; no national-security concern."
) -> dict[str, Any]:
    """A complete national-security assessment of every item on `application`."""
    return {
        "items": [
            {
                "item": item.pk,
                "reasons_for_control": item.reasons_for_control or "AT1",
                "relevance": f"{item.description}: mass-market, no military end use by this end user.",
            }
            for item in application.items.all()
        ],
        "end_use": "Resale to consumers through retail shops.",
        "no_risk_to_national_security": True,
        "grounds": grounds,
    }


def make_licence(*, applicant: User, reviewer: User, **kwargs: Any) -> Licence:
    """An approved request's licence, issued today through the real decision service."""
    application = make_application(applicant=applicant, assigned_to=reviewer, **kwargs)
    services.decide(actor=reviewer, application=application, outcome="approved", rationale="General merchandise.")
    return Licence.objects.select_related("application").get(application=application)
