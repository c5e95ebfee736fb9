"""The OpenAPI schema is a contract: generated requests from two roles never get a server error
or a response that contradicts the schema.

Runs in-process against the WSGI app (no server), with a bounded number of examples per
operation so the whole file stays around a minute.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token

from lib.roles import Role
from tests.factories import make_entity, make_user

# A test tool, pinned in requirements-dev.txt: without it this file says so instead of failing to import.
schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (requirements-dev.txt)")

from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
)

# The failures this test is about. Status codes outside the schema (401/403/404 for the wrong
# role, which drf-spectacular leaves undocumented) are checked by tests/test_access_matrix.py.
CHECKS = [schemathesis.checks.not_a_server_error, response_schema_conformance, content_type_conformance]


def _load_schema() -> Any:
    from config.wsgi import application

    # Serving the schema needs no database, so it loads at collection like any parametrization.
    # (schemathesis.pytest.from_fixture would defer this, but it does not run under pytest 9.)
    return schemathesis.openapi.from_wsgi("/api/schema/", application)


schema = _load_schema()


@pytest.fixture
def in_test_transaction(db: None) -> Iterator[None]:
    # Django closes the connection at the end of each WSGI request; that would end the test's
    # transaction. Django's own test client detaches the same handlers while it calls the app.
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def listed(in_test_transaction: None, compliance_admin: User) -> None:
    # Something for the read endpoints to return, made through the versioning services.
    make_entity("Huawei Technologies Co., Ltd.", actor=compliance_admin, aliases=("Huawei",))
    make_entity("Rostec State Corporation", actor=compliance_admin, country="RU")


@pytest.fixture
def integration(db: None) -> User:
    # An order system's account too: the export check is its endpoint.
    return make_user(Role.INTEGRATION, username="order-system")


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the work tree
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_schema_for_a_reviewer_and_a_salesperson(
    case: Any, listed: None, reviewer: User, sales: User, integration: User
) -> None:
    for user in (reviewer, sales, integration):
        token, _ = Token.objects.get_or_create(user=user)
        case.call_and_validate(headers={"Authorization": f"Token {token.key}"}, checks=CHECKS)


def test_the_schema_describes_every_api_route() -> None:
    from django.urls import URLResolver, get_resolver, resolve
    from drf_spectacular.generators import SchemaGenerator

    documented = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    # Every documented path, with its parameters filled in, lands on one URL pattern.
    covered = {resolve(re.sub(r"\{[^}]+\}", "1", path)).route.replace("^", "") for path in documented}

    api = next(p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "api/v1/")
    routes: set[str] = set()

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, prefix + str(entry.pattern))
            elif "<format>" not in str(entry.pattern):  # DRF's ".json" suffix twins of each route
                routes.add((prefix + str(entry.pattern)).replace("^", ""))

    walk(api, "api/v1/")
    missing = sorted(routes - covered)
    assert not missing, f"API routes missing from the OpenAPI schema: {missing}"
