"""Licence requests made through the licensing services, for the dashboard, export and matrix tests."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User

from licensing import services
from licensing.models import Application, Decision, Party


def file_request(
    applicant: User, *, end_user: str = "Shenzhen Widget Trading Ltd", country: str = "CN", submit: bool = True
) -> Application:
    data = services.ApplicationData(
        type=Application.Type.EXPORT,
        destination_country=country,
        end_use="Assembly of consumer routers",
        parties=(services.PartyData(role=Party.Role.END_USER, name=end_user, country=country, address="1 Road"),),
        items=(
            services.ItemData(
                eccn="EAR99", description="Plastic housings", quantity=Decimal(10), unit_price=Decimal("2.50")
            ),
        ),
    )
    application = services.create_application(actor=applicant, data=data)
    if submit:
        application = services.submit(actor=applicant, application=application)
    return application


def decide_request(
    reviewer: User, application: Application, *, outcome: str = "approved", conditions: str = ""
) -> Decision:
    application = services.assign(actor=reviewer, application=application)
    decision = services.decide(
        actor=reviewer,
        application=application,
        outcome=outcome,
        rationale="Checked the parties and the items.",
        conditions=conditions,
    )
    assert isinstance(decision, Decision), "this approval needs a countersignature"
    return decision
