"""Hand-written factories: keyword arguments in, saved rows out."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import transaction

from entities.models import Entity, ListVersion, ListVersionChange
from entities.records import AddressRecord, EntityRecord
from entities.services import begin_version, finish_version, write_entity
from lib.roles import Role

_counter = itertools.count(1)


def make_user(role: Role | None = None, *, username: str | None = None, password: str = "pw-for-tests-1") -> User:
    user_model = get_user_model()
    user = user_model.objects.create_user(
        username=username or f"user{next(_counter)}", password=password, email="u@example.com"
    )
    if role is not None:
        # get_or_create: a module-scoped fixture may make users before any test re-creates the
        # groups a transactional test flushed (tests/conftest.py _roles_survive_flushes).
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    return user  # type: ignore[return-value]


def make_record(
    name: str = "Acme Rocket Works",
    *,
    source: str = "EL",
    country: str = "CN",
    aliases: tuple[str, ...] = (),
    license_policy: str = "presumption_of_denial",
    license_requirement: str = "For all items subject to the EAR.",
    key: str | None = None,
    **extra: Any,
) -> EntityRecord:
    return EntityRecord(
        key=key or f"test:{source}:{name.lower()}:{country}",
        source=source,
        name=name,
        license_policy=license_policy,
        license_requirement=license_requirement,
        aliases=aliases,
        addresses=(AddressRecord(address="1 Test Road", country=country),) if country else (),
        **extra,
    )


def make_entity(name: str = "Acme Rocket Works", *, actor: Any = None, **kwargs: Any) -> Entity:
    """A listed entity, recorded as its own list version like a real addition."""
    record = make_record(name, **kwargs)
    with transaction.atomic():
        version = begin_version(actor=actor, kind=ListVersion.Kind.CREATE, reason="test fixture")
        entity = write_entity(Entity(), record, version=version, actor=actor, reason="test fixture")
        finish_version(version, [(entity.pk, ListVersionChange.Change.ADDED, [])])
    return entity
