from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from entities.models import Entity, ListVersion
from lib.roles import Role, roles_of

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_one_user_per_role_and_a_sample_list() -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    request = RequestFactory().post("/login/")
    expected = {
        "sales": Role.SALES,
        "sales2": Role.SALES,
        "reviewer": Role.REVIEWER,
        "reviewer2": Role.REVIEWER,
        "admin": Role.COMPLIANCE_ADMIN,
        "auditor": Role.AUDITOR,
    }
    for username, role in expected.items():
        user = authenticate(request, username=username, password="demo-password")
        assert user is not None, username
        assert roles_of(user) == {role}
    assert "demo-password" in out.getvalue()
    assert Entity.objects.filter(name__startswith="Huawei").exists()
    assert ListVersion.objects.count() == 1


def test_seed_demo_run_twice_changes_nothing_the_second_time() -> None:
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    assert ListVersion.objects.count() == 1
    assert Entity.objects.count() > 0
