"""A Compliance admin suspends or revokes every licence touching a tightened entity, after a preview."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from entities.models import Entity
from lib.models import Notification
from lib.roles import Role
from licensing import licences, services
from licensing.licences import PreviewOutdated
from licensing.models import Hit, Licence
from licensing.status import LicenceStatus
from tests.factories import make_entity, make_user
from tests.licensing.factories import make_application, make_licence, party

pytestmark = pytest.mark.django_db


@pytest.fixture
def entity(compliance_admin: User) -> Entity:
    return make_entity("Harbin Polar Optics Institute", actor=compliance_admin, license_policy="case_by_case")


def _licensed_over_a_cleared_hit(holder: User, reviewer: User, name: str) -> Licence:
    application = make_application(
        applicant=holder, assigned_to=reviewer, destination="CN", parties=[party(name, country="CN")]
    )
    hit = Hit.objects.get(party__application=application)
    services.confirm_hit(actor=reviewer, hit=hit, rationale="It is them; case-by-case, civil optics.")
    services.decide(actor=reviewer, application=application, outcome="approved", rationale="Civil end use.")
    # A confirmed hit needs a second sign-off (SignOffPolicy, issue 12): another reviewer agrees.
    services.countersign(actor=make_user(Role.REVIEWER), application=application, agree=True)
    return Licence.objects.get(application=application)


@pytest.fixture
def touching(entity: Entity, reviewer: User) -> list[Licence]:
    holder = make_user(Role.SALES, username="holder")
    holder.email = "holder@example.com"
    holder.save()
    first = _licensed_over_a_cleared_hit(holder, reviewer, "Harbin Polar Optics Institute")
    second = _licensed_over_a_cleared_hit(holder, reviewer, "HARBIN POLAR OPTICS INSTITUTE")
    return [first, second]


@pytest.fixture
def untouched(reviewer: User) -> Licence:
    return make_licence(applicant=make_user(Role.SALES), reviewer=reviewer)


def test_revoking_every_licence_of_a_tightened_entity_after_the_preview(
    entity: Entity,
    touching: list[Licence],
    untouched: Licence,
    compliance_admin: User,
    client_for: Callable[[User], Client],
) -> None:
    client = client_for(compliance_admin)
    url = reverse("licensing:entity_licences", args=[entity.pk])
    reason = "Review policy now presumption of denial (89 FR 12345)."
    preview = client.get(url, {"action": "revoke", "reason": reason}).content.decode()
    for licence in touching:
        assert str(licence.number) in preview
    assert str(untouched.number) not in preview
    assert "Revoke 2 licence(s)" in preview
    assert all(Licence.objects.get(pk=lic.pk).status == LicenceStatus.ACTIVE for lic in touching)

    form = {"action": "revoke", "reason": reason, "licence": [str(lic.pk) for lic in touching]}
    response = client.post(url, form, follow=True)
    assert "Revoke: 2 licence(s) touching Harbin Polar Optics Institute." in response.content.decode()
    for licence in touching:
        licence.refresh_from_db()
        assert licence.status == LicenceStatus.REVOKED
        assert licence.status_reason == reason
        assert licence.history.latest().history_user == compliance_admin
    assert Licence.objects.get(pk=untouched.pk).status == LicenceStatus.ACTIVE
    assert Notification.objects.filter(key__startswith="licence-revoke").count() == 2


def test_a_changed_set_since_the_preview_acts_on_nothing(
    entity: Entity, touching: list[Licence], compliance_admin: User, reviewer: User
) -> None:
    licences.suspend(actor=reviewer, licence=touching[1], reason="Separately suspended")
    with pytest.raises(PreviewOutdated):
        licences.act_on_entity(
            actor=compliance_admin,
            entity_id=entity.pk,
            action="suspend",
            reason="Tightened",
            expected=[lic.pk for lic in touching],
        )
    assert Licence.objects.get(pk=touching[0].pk).status == LicenceStatus.ACTIVE


def test_the_api_previews_and_suspends_and_only_admins_may(
    entity: Entity, touching: list[Licence], compliance_admin: User, reviewer: User
) -> None:
    api = APIClient()
    api.force_authenticate(reviewer)
    url = reverse("api-entity-licences", args=[entity.pk])
    assert api.get(url, {"action": "suspend"}).status_code == 403
    api.force_authenticate(compliance_admin)
    ids = [row["id"] for row in api.get(url, {"action": "suspend"}).json()]
    assert sorted(ids) == sorted(lic.pk for lic in touching)
    response = api.post(url, {"action": "suspend", "reason": "Listing under review", "licences": ids}, format="json")
    assert response.status_code == 200
    assert {row["status"] for row in response.json()} == {"suspended"}
    assert api.get(url, {"action": "suspend"}).json() == []
    again = api.post(url, {"action": "suspend", "reason": "Again", "licences": ids}, format="json")
    assert again.status_code == 409
