"""A hit's `entity_hash` now records the entity's identity (names, aliases, addresses), not its
whole content: a clearance reopens only when what it rested on changes.

Hits whose stored hash is the entity's current content hash (their verdict stands today) take
the entity's identity hash; the others already differ and reopen on their next screening, as
they would have before.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from entities.records import identity_digest


def forwards(apps: Any, schema_editor: Any) -> None:
    Hit = apps.get_model("licensing", "Hit")
    Entity = apps.get_model("entities", "Entity")
    pairs = Hit.objects.exclude(entity_hash="").values_list("pk", "entity_id", "entity_hash")
    by_entity: dict[int, list[tuple[int, str]]] = {}
    for pk, entity_id, digest in pairs.iterator(chunk_size=2000):
        by_entity.setdefault(entity_id, []).append((pk, digest))
    ids = sorted(by_entity)
    for start in range(0, len(ids), 500):
        entities = Entity.objects.filter(pk__in=ids[start : start + 500]).prefetch_related("aliases", "addresses")
        for entity in entities:
            identity = identity_digest(
                entity.name,
                (a.name for a in entity.aliases.all()),
                ((a.address, a.city, a.state, a.postal_code, a.country) for a in entity.addresses.all()),
            )
            current = [pk for pk, digest in by_entity[entity.pk] if digest == entity.content_hash]
            if current:
                Hit.objects.filter(pk__in=current).update(entity_hash=identity)


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0003_field_limits"),
        ("entities", "0004_hand_added_entries"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
