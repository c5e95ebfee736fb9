"""axe-core on every main page, for each role: zero serious or critical violations (issue 16).

Each role visits the pages its menu offers it; a page the role may not open answers 403 and is
not counted, but every role must have looked at a fair number of pages for the test to pass.
"""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from playwright.sync_api import Page

from lib.roles import Role
from licensing.models import Hit
from tests.browser.conftest import log_in
from tests.factories import make_entity, make_user
from tests.licensing.factories import make_application, make_licence, party

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAIN_PAGES = [
    "/",
    "/dashboard/",
    "/account/tokens/",
    "/account/password/",
    "/licensing/",
    "/licensing/new/",
    "/licensing/queue/",
    "/licensing/queue/?q=Acme",
    "/licensing/{open_case}/",
    "/licensing/{open_case}/case-file/",
    "/licensing/licences/{licence}/",
    "/licensing/products/",
    "/licensing/address-book/",
    "/licensing/clearances/",
    "/licensing/country-chart/",
    "/licensing/sign-off-rules/",
    "/licensing/impact/threshold/?threshold=0.8",
    "/entities/",
    "/entities/{entity}/",
    "/entities/new/",
    "/entities/versions/",
    "/entities/versions/1/",
    "/entities/import/",
    "/compliance/screen/?name=Acme+Rocket+Works",
    "/compliance/batch/",
    "/compliance/settings/",
    "/compliance/rescreens/",
]
# Each role opens at least this many of the pages above (the rest are refused to it).
AT_LEAST = {Role.SALES: 10, Role.REVIEWER: 15, Role.COMPLIANCE_ADMIN: 20, Role.AUDITOR: 15}


def serious_violations(page: Page) -> list[str]:
    results: Any = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


@pytest.mark.parametrize("role", list(AT_LEAST), ids=[r.value for r in AT_LEAST])
def test_every_main_page_has_no_serious_accessibility_violations(page: Page, role: Role) -> None:
    sales = make_user(Role.SALES, username="sam.sales")
    reviewer = make_user(Role.REVIEWER, username="rita.reviewer")
    entity = make_entity("Acme Rocket Works", country="CN")
    open_case = make_application(
        applicant=sales, submitted=True, destination="CN", parties=[party("Acme Rocket Works", country="CN")]
    )
    assert Hit.objects.filter(party__application=open_case).exists()
    licence = make_licence(applicant=sales, reviewer=reviewer)
    ids = {"open_case": open_case.pk, "licence": licence.pk, "entity": entity.pk}
    user: User = {Role.SALES: sales, Role.REVIEWER: reviewer}.get(role) or make_user(
        role, username=f"{role.value.lower().replace(' ', '.')}.user"
    )
    log_in(page, user)
    found: dict[str, list[str]] = {}
    opened = 0
    for path in MAIN_PAGES:
        url = path.format(**ids)
        response = page.goto(url)
        assert response is not None
        if response.status in {403, 404}:
            continue
        assert response.status == 200, f"{url} as {role.value}: {response.status}"
        opened += 1
        violations = serious_violations(page)
        if violations:
            found[url] = violations
    assert found == {}, f"as {role.value}"
    assert opened >= AT_LEAST[role], f"{role.value} opened only {opened} pages"
