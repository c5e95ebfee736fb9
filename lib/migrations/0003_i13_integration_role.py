"""Adds the Integration role: order and shipping systems calling the export check with a token."""

from __future__ import annotations

from typing import Any

from django.db import migrations

NAME = "Integration"


def create_role(apps: Any, schema_editor: Any) -> None:
    apps.get_model("auth", "Group").objects.get_or_create(name=NAME)


def remove_role(apps: Any, schema_editor: Any) -> None:
    apps.get_model("auth", "Group").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("lib", "0002_outbox_from_compliance")]
    operations = [migrations.RunPython(create_role, remove_role)]
