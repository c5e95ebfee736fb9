"""Demo users (one per role), a small hand-written sample list, and a living system for `make run`.

Besides the users and the list, it files a dozen requests through the real services, as the
demo users would, so the queue, the dashboards and the case pages show every state at first
sight: drafts, submitted, in review, on hold after a list change, approved with a licence,
denied, returned, withdrawn; hits cleared and confirmed; products in the catalogue, some with a
confirmed classification, and the address book the requests filled. Run twice, it adds nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from entities.models import Entity, ListVersion, ListVersionChange
from entities.records import AddressRecord, EntityRecord
from entities.services import begin_version, finish_version, write_entity
from lib.roles import Role
from licensing.management.commands import _demo_cases as demo_cases

DEMO_PASSWORD = "demo-password"  # noqa: S105 - documented demo credential, printed on purpose
DEMO_USERS: tuple[tuple[str, Role, bool], ...] = (
    ("sales", Role.SALES, False),
    ("sales2", Role.SALES, False),
    ("reviewer", Role.REVIEWER, False),
    ("reviewer2", Role.REVIEWER, False),
    ("admin", Role.COMPLIANCE_ADMIN, True),
    ("auditor", Role.AUDITOR, False),
)

EL = "Entity List (EL) - Bureau of Industry and Security"
EL_REQUIREMENT = "For all items subject to the EAR. (See §744.11 of the EAR)."
SAMPLE_LIST: tuple[EntityRecord, ...] = (
    EntityRecord(
        key="demo:EL:huawei-technologies",
        source="EL",
        source_name=EL,
        name="Huawei Technologies Co., Ltd.",
        federal_register_notice="84 FR 22961, 5/21/2019",
        license_requirement=EL_REQUIREMENT,
        license_policy="presumption_of_denial",
        license_policy_text="Presumption of denial.",
        aliases=("Huawei", "华为技术有限公司"),
        addresses=(AddressRecord(address="Bantian, Longgang District", city="Shenzhen", country="CN"),),
    ),
    EntityRecord(
        key="demo:EL:hisilicon",
        source="EL",
        source_name=EL,
        name="HiSilicon Technologies Co., Ltd.",
        federal_register_notice="84 FR 22961, 5/21/2019",
        license_requirement=EL_REQUIREMENT,
        license_policy="presumption_of_denial",
        license_policy_text="Presumption of denial.",
        aliases=("HiSilicon",),
        addresses=(AddressRecord(address="Bantian, Longgang District", city="Shenzhen", country="CN"),),
    ),
    EntityRecord(
        key="demo:EL:rostec",
        source="EL",
        source_name=EL,
        name="Rostec State Corporation",
        license_requirement=EL_REQUIREMENT,
        license_policy="policy_of_denial",
        license_policy_text="Policy of denial.",
        aliases=(
            "Rostekh",
            "State Corporation for Assistance to Development, Production and Export of "
            "Advanced Technology Industrial Product Rostec",
        ),
        addresses=(AddressRecord(address="24 Usacheva St.", city="Moscow", country="RU"),),
    ),
    EntityRecord(
        key="demo:UVL:alfa-trading",
        source="UVL",
        source_name="Unverified List (UVL) - Bureau of Industry and Security",
        name="Alfa Trading FZE",
        license_requirement="",
        license_policy="none",
        addresses=(AddressRecord(address="Jebel Ali Free Zone", city="Dubai", country="AE"),),
    ),
    EntityRecord(
        key="demo:DPL:john-doe-exports",
        source="DPL",
        source_name="Denied Persons List (DPL) - Bureau of Industry and Security",
        entity_type="individual",
        name="Jonathan Q. Exporter",
        license_policy="policy_of_denial",
        license_policy_text="Denial order: all export privileges denied.",
        addresses=(AddressRecord(address="100 Harbour Road", city="Miami", state="FL", country="US"),),
    ),
    EntityRecord(
        key="demo:MEU:aviation-plant",
        source="MEU",
        source_name="Military End User (MEU) List - Bureau of Industry and Security",
        name="Northern Aviation Industrial Plant",
        license_requirement="For any item subject to the EAR listed in supplement no. 2 to part 744.",
        license_policy="presumption_of_denial",
        license_policy_text="Presumption of denial.",
        addresses=(AddressRecord(city="Irkutsk", country="RU"),),
    ),
)


class Command(BaseCommand):
    help = (
        "Create one demo user per role (password 'demo-password'), a small sample list, and a dozen "
        "requests in every state."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        admin = None
        for username, role, is_staff in DEMO_USERS:
            user, created = user_model.objects.get_or_create(username=username)
            # Hashing a password costs about as much as the rest of the seed: done once, when the
            # user is made, so every later `make run` starts without re-hashing six of them.
            if created or not user.has_usable_password():
                user.set_password(DEMO_PASSWORD)
            user.is_staff = is_staff
            user.email = f"{username}@example.com"
            user.save()
            user.groups.add(Group.objects.get(name=role.value))
            if username == "admin":
                admin = user
        self._seed_list(admin)
        demo_cases.seed(self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo users (password for all: {DEMO_PASSWORD}):"))
        for username, role, _ in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {role.value}")

    @transaction.atomic
    def _seed_list(self, admin: Any) -> None:
        missing = [r for r in SAMPLE_LIST if not Entity.objects.filter(key=r.key).exists()]
        if not missing:
            self.stdout.write("Sample list already loaded.")
            return
        reason = "Demo sample list"
        version = begin_version(actor=admin, kind=ListVersion.Kind.IMPORT, reason=reason, source_file="seed_demo")
        changes: list[tuple[int, str, list[str]]] = []
        for record in missing:
            entity = write_entity(Entity(), record, version=version, actor=admin, reason=reason)
            changes.append((entity.pk, ListVersionChange.Change.ADDED, []))
        finish_version(version, changes)
        self.stdout.write(f"Sample list loaded as list version {version.number}: {len(missing)} entities.")
