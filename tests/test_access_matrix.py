"""Who may do what, for every page and every API route, as one table.

Each URL pattern in the project must appear in MATRIX with the roles allowed for each method;
a new URL without an expectation fails `test_every_url_has_an_expectation`. Each rule is then
tried for an anonymous visitor and for every role, against objects belonging to someone else
where that matters (Sales user `sales2` against `sales`'s request, batch and documents): a denied
request gets a log-in redirect, 401, 403 or 404, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lib.history import historical_models
from lib.roles import Role
from tests.factories import make_entity, make_user
from tests.lib.cases import file_request

ANON, SALES, SALES2, REVIEWER, ADMIN, AUDITOR = "anonymous", "sales", "sales2", "reviewer", "admin", "auditor"
# An order system's account: the export check and nothing else.
INTEGRATION = "integration"
ROLES = (ANON, SALES, SALES2, REVIEWER, ADMIN, AUDITOR, INTEGRATION)
SIGNED_IN = frozenset({SALES, SALES2, REVIEWER, ADMIN, AUDITOR})
PUBLIC = SIGNED_IN | {ANON, INTEGRATION}
ONLY_INTEGRATION = frozenset({INTEGRATION})
READERS = frozenset({REVIEWER, ADMIN, AUDITOR})
OWNER_AND_READERS = READERS | {SALES}  # `sales` owns the objects; `sales2` is someone else
ANY_SALES = frozenset({SALES, SALES2})
OWNER = frozenset({SALES})
ONLY_REVIEWER = frozenset({REVIEWER})
ONLY_ADMIN = frozenset({ADMIN})
ADMIN_AUDITOR = frozenset({ADMIN, AUDITOR})
REVIEWER_ADMIN = frozenset({REVIEWER, ADMIN})
OWNER_ADMIN_AUDITOR = frozenset({SALES, ADMIN, AUDITOR})
# The address book and catalogue are shared by all Sales users (no owner); readers read them.
CATALOGUE_READERS = READERS | ANY_SALES
ADDRESS_EDITORS = ANY_SALES | {ADMIN}
CATALOGUE_EDITORS = ANY_SALES | {REVIEWER, ADMIN}
CLASSIFIERS = frozenset({REVIEWER, ADMIN})
OWNER_ADMIN = frozenset({SALES, ADMIN})
OFFICERS = frozenset({REVIEWER, ADMIN})


@dataclass
class World:
    users: dict[str, User]
    submitted: Any  # sales's submitted request with a hit and a document
    draft: Any  # sales's draft with a document
    document: Any
    draft_document: Any
    hit: Any
    entity: Any
    version: int
    batch: Any
    rescreen: Any
    import_job: Any
    clearance: Any  # remembered from another request's hit, so clearing ours is still possible
    question: Any  # a reviewer's open question on `submitted`
    product: Any
    licence: Any  # sales's active licence, with one shipment recorded
    shipment: Any


@dataclass(frozen=True)
class Rule:
    method: str
    allowed: frozenset[str]
    kwargs: Callable[[World], dict[str, Any]] | None = None
    api: bool = False


def _app(w: World) -> dict[str, Any]:
    return {"pk": w.submitted.pk}


def _draft(w: World) -> dict[str, Any]:
    return {"pk": w.draft.pk}


def _entity(w: World) -> dict[str, Any]:
    return {"pk": w.entity.pk}


def _batch(w: World) -> dict[str, Any]:
    return {"pk": w.batch.pk}


def _address(w: World) -> dict[str, Any]:
    from licensing.models import AddressBookEntry

    return {"pk": AddressBookEntry.objects.order_by("pk").values_list("pk", flat=True)[0]}


def _product(w: World) -> dict[str, Any]:
    return {"pk": w.product.pk}


def _hit(w: World) -> dict[str, Any]:
    return {"pk": w.hit.pk}


def _question(w: World) -> dict[str, Any]:
    return {"pk": w.question.pk}


def _version(w: World) -> dict[str, Any]:
    return {"number": w.version}


def _rescreen(w: World) -> dict[str, Any]:
    return {"pk": w.rescreen.pk}


def _clearance(w: World) -> dict[str, Any]:
    return {"pk": w.clearance.pk}


def _import_job(w: World) -> dict[str, Any]:
    return {"pk": w.import_job.pk}


def _licence(w: World) -> dict[str, Any]:
    return {"pk": w.licence.pk}


def _shipment(w: World) -> dict[str, Any]:
    return {"pk": w.shipment.pk}


def _licence_action(action: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"pk": w.licence.pk, "action": action}


def _document(w: World) -> dict[str, Any]:
    return {"pk": w.submitted.pk, "doc": w.document.pk}


def _draft_document(w: World) -> dict[str, Any]:
    return {"pk": w.draft.pk, "doc": w.draft_document.pk}


def _sales_user(w: World) -> dict[str, Any]:
    return {"user_id": w.users[SALES].pk}


def page(method: str, allowed: frozenset[str], kwargs: Callable[[World], dict[str, Any]] | None = None) -> Rule:
    return Rule(method, allowed, kwargs)


def api(method: str, allowed: frozenset[str], kwargs: Callable[[World], dict[str, Any]] | None = None) -> Rule:
    return Rule(method, allowed, kwargs, api=True)


MATRIX: dict[str, list[Rule]] = {
    # Sign-in, dashboards and exports.
    "home": [page("GET", SIGNED_IN)],
    "dashboard": [page("GET", SIGNED_IN)],
    "login": [page("GET", PUBLIC), page("POST", PUBLIC)],
    "logout": [page("POST", PUBLIC)],
    "password_change": [page("GET", SIGNED_IN), page("POST", SIGNED_IN)],
    "password_change_done": [page("GET", SIGNED_IN)],
    # API tokens: your own; a Compliance admin everyone's (revoking is idempotent).
    "tokens": [page("GET", SIGNED_IN)],
    "token_revoke": [page("POST", OWNER | ONLY_ADMIN, _sales_user)],
    "export_decisions": [page("GET", SIGNED_IN)],
    "export_list": [page("GET", READERS)],
    # The list.
    "entities:list": [page("GET", SIGNED_IN)],
    "entities:detail": [page("GET", SIGNED_IN, _entity)],
    "entities:versions": [page("GET", SIGNED_IN)],
    "entities:version_detail": [page("GET", SIGNED_IN, _version)],
    "entities:create": [page("GET", ONLY_ADMIN), page("POST", ONLY_ADMIN)],
    "entities:edit": [page("GET", ONLY_ADMIN, _entity), page("POST", ONLY_ADMIN, _entity)],
    "entities:delist": [page("GET", ONLY_ADMIN, _entity), page("POST", ONLY_ADMIN, _entity)],
    "entities:import": [page("GET", ONLY_ADMIN), page("POST", ONLY_ADMIN)],
    "entities:import_job": [page("GET", ONLY_ADMIN, _import_job)],
    "entities:import_job_status": [page("GET", ONLY_ADMIN, _import_job)],
    "entities:import_job_retry": [page("POST", ONLY_ADMIN, _import_job)],
    "entities:import_apply": [page("POST", ONLY_ADMIN, _import_job)],
    # Licence requests: Sales their own, reviewers decide, auditors and admins read.
    "licensing:mine": [page("GET", ANY_SALES)],
    "licensing:create": [page("GET", ANY_SALES), page("POST", ANY_SALES)],
    "licensing:country_chart": [page("GET", ADMIN_AUDITOR), page("POST", ONLY_ADMIN)],
    "licensing:queue": [page("GET", READERS)],
    "licensing:bulk_assign": [page("POST", ONLY_ADMIN)],
    "licensing:detail": [page("GET", OWNER_AND_READERS, _app)],
    "licensing:edit": [page("GET", OWNER, _draft), page("POST", OWNER, _draft)],
    "licensing:submit": [page("POST", OWNER, _draft)],
    "licensing:copy": [page("POST", OWNER, _app)],
    "licensing:withdraw": [page("POST", OWNER, _app)],
    "licensing:assign": [page("POST", ONLY_REVIEWER, _app)],
    "licensing:decide": [page("POST", ONLY_REVIEWER, _app)],
    "licensing:document_upload": [page("POST", OWNER, _draft)],
    "licensing:document": [page("GET", OWNER_AND_READERS, _document)],
    "licensing:document_delete": [page("POST", OWNER, _draft_document)],
    "licensing:hits_review": [page("POST", ONLY_REVIEWER, _app)],
    "licensing:hit_clear": [page("POST", ONLY_REVIEWER, _hit)],
    "licensing:hit_confirm": [page("POST", ONLY_REVIEWER, _hit)],
    "licensing:hit_acknowledge": [page("POST", ONLY_REVIEWER, _hit)],
    "licensing:threshold_impact": [page("GET", ADMIN_AUDITOR)],
    "licensing:clearances": [page("GET", READERS)],
    "licensing:clearance": [page("GET", READERS, _clearance)],
    "licensing:clearance_revoke": [page("POST", ONLY_ADMIN, _clearance)],
    "licensing:ask_question": [page("POST", ONLY_REVIEWER, _app)],
    "licensing:add_note": [page("POST", REVIEWER_ADMIN, _app)],
    "licensing:countersign": [page("POST", ONLY_REVIEWER, _app)],
    "licensing:sign_off_rules": [page("GET", READERS), page("POST", ONLY_ADMIN)],
    "licensing:reply_question": [page("POST", OWNER, _question)],
    "licensing:withdraw_question": [page("POST", ONLY_REVIEWER, _question)],
    "licensing:hit_reverse": [page("POST", ONLY_REVIEWER, _hit)],
    "licensing:licence": [page("GET", OWNER_AND_READERS, _licence)],
    "licensing:licence_action": [page("POST", OFFICERS, _licence_action("suspend"))],
    "licensing:licence_amend": [page("POST", OWNER, _licence)],
    "licensing:shipment_create": [page("POST", OWNER, _licence)],
    "licensing:shipment_reverse": [page("POST", OWNER_ADMIN, _shipment)],
    "licensing:entity_licences": [page("GET", ONLY_ADMIN, _entity), page("POST", ONLY_ADMIN, _entity)],
    "licensing:case_file": [page("GET", OWNER_AND_READERS, _app)],
    "licensing:case_file_pdf": [page("GET", OWNER_AND_READERS, _app)],
    # The address book and the product catalogue (issue 16).
    "licensing:address_book": [page("GET", CATALOGUE_READERS)],
    "licensing:address_edit": [page("GET", ADDRESS_EDITORS, _address), page("POST", ADDRESS_EDITORS, _address)],
    "licensing:products": [page("GET", CATALOGUE_READERS)],
    "licensing:product_create": [page("GET", CATALOGUE_EDITORS), page("POST", CATALOGUE_EDITORS)],
    "licensing:product": [page("GET", CATALOGUE_READERS, _product), page("POST", CATALOGUE_EDITORS, _product)],
    "licensing:product_confirm": [page("POST", CLASSIFIERS, _product)],
    # Screening and re-screening.
    "compliance:screen": [page("GET", SIGNED_IN), page("POST", SIGNED_IN)],
    "compliance:batch": [page("GET", SIGNED_IN), page("POST", SIGNED_IN)],
    "compliance:batch-detail": [page("GET", OWNER_ADMIN_AUDITOR, _batch)],
    "compliance:batch-status": [page("GET", OWNER_ADMIN_AUDITOR, _batch)],
    "compliance:batch-download": [page("GET", OWNER_ADMIN_AUDITOR, _batch)],
    "compliance:settings": [page("GET", ONLY_ADMIN), page("POST", ONLY_ADMIN)],
    "compliance:clearance-settings": [page("POST", ONLY_ADMIN)],
    "compliance:rescreens": [page("GET", ADMIN_AUDITOR), page("POST", ONLY_ADMIN)],
    "compliance:rescreens-status": [page("GET", ADMIN_AUDITOR)],
    "compliance:rescreen-retry": [page("POST", ONLY_ADMIN, _rescreen)],
    # The API.
    "api-token": [api("POST", PUBLIC)],
    "api-tokens": [api("GET", SIGNED_IN)],
    "api-token-revoke": [api("DELETE", OWNER | ONLY_ADMIN, _sales_user)],
    "entity-list": [api("GET", SIGNED_IN), api("POST", ONLY_ADMIN)],
    "entity-detail": [api("GET", SIGNED_IN, _entity), api("PATCH", ONLY_ADMIN, _entity)],
    "entity-delist": [api("POST", ONLY_ADMIN, _entity)],
    "entity-history": [api("GET", SIGNED_IN, _entity)],
    "list-version-list": [api("GET", SIGNED_IN)],
    "list-version-detail": [api("GET", SIGNED_IN, _version)],
    "list-version-changes": [api("GET", SIGNED_IN, _version)],
    "api-applications": [api("GET", SIGNED_IN), api("POST", ANY_SALES)],
    "api-application": [api("GET", OWNER_AND_READERS, _app), api("PATCH", OWNER, _draft)],
    "api-application-submit": [api("POST", OWNER, _draft)],
    "api-application-withdraw": [api("POST", OWNER, _app)],
    "api-application-copy": [api("POST", OWNER, _app)],
    "api-application-assign": [api("POST", ONLY_REVIEWER, _app)],
    "api-application-decision": [api("POST", ONLY_REVIEWER, _app)],
    "api-application-history": [api("GET", OWNER_AND_READERS, _app)],
    "api-application-documents": [api("GET", OWNER_AND_READERS, _app), api("POST", OWNER, _draft)],
    "api-application-document": [api("GET", OWNER_AND_READERS, _document), api("DELETE", OWNER, _draft_document)],
    "api-applications-assign": [api("POST", ONLY_ADMIN)],
    "api-application-countersign": [api("POST", ONLY_REVIEWER, _app)],
    "api-sign-off-policy": [api("GET", READERS), api("PATCH", ONLY_ADMIN)],
    "api-application-notes": [api("GET", OWNER_AND_READERS, _app), api("POST", REVIEWER_ADMIN, _app)],
    "api-application-questions": [api("GET", OWNER_AND_READERS, _app), api("POST", ONLY_REVIEWER, _app)],
    "api-question-reply": [api("POST", OWNER, _question)],
    "api-question-withdraw": [api("POST", ONLY_REVIEWER, _question)],
    "api-address-book": [api("GET", CATALOGUE_READERS)],
    "api-address-entry": [api("GET", CATALOGUE_READERS, _address), api("PATCH", ADDRESS_EDITORS, _address)],
    "api-products": [api("GET", CATALOGUE_READERS), api("POST", CATALOGUE_EDITORS)],
    "api-product": [api("GET", CATALOGUE_READERS, _product), api("PATCH", CATALOGUE_EDITORS, _product)],
    "api-product-confirm": [api("POST", CLASSIFIERS, _product)],
    "api-hit-clear": [api("POST", ONLY_REVIEWER, _hit)],
    "api-hit-confirm": [api("POST", ONLY_REVIEWER, _hit)],
    "api-hit-acknowledge": [api("POST", ONLY_REVIEWER, _hit)],
    "api-threshold-impact": [api("GET", ADMIN_AUDITOR)],
    "api-clearances": [api("GET", READERS)],
    "api-clearance": [api("GET", READERS, _clearance)],
    "api-clearance-revoke": [api("POST", ONLY_ADMIN, _clearance)],
    "api-hit-reverse": [api("POST", ONLY_REVIEWER, _hit)],
    "api-licences": [api("GET", SIGNED_IN)],
    "api-licence": [api("GET", OWNER_AND_READERS, _licence)],
    "api-licence-release": [api("POST", OFFICERS, _licence)],
    "api-licence-suspend": [api("POST", OFFICERS, _licence)],
    "api-licence-reinstate": [api("POST", OFFICERS, _licence)],
    "api-licence-revoke": [api("POST", OFFICERS, _licence)],
    "api-licence-amend": [api("POST", OWNER, _licence)],
    "api-licence-shipments": [api("GET", OWNER_AND_READERS, _licence), api("POST", OWNER, _licence)],
    "api-entity-licences": [api("GET", ONLY_ADMIN, _entity), api("POST", ONLY_ADMIN, _entity)],
    "api-export-checks": [api("GET", ADMIN_AUDITOR), api("POST", ONLY_INTEGRATION)],
    "api-shipment-reverse": [api("POST", OWNER_ADMIN, _shipment)],
    "api-screen": [api("GET", SIGNED_IN)],
    "api-screen-batch": [api("POST", SIGNED_IN)],
    "api-screen-batch-status": [api("GET", OWNER_ADMIN_AUDITOR, _batch)],
    "api-screen-batch-result": [api("GET", OWNER_ADMIN_AUDITOR, _batch)],
    "api-screening-config": [api("GET", SIGNED_IN), api("PATCH", ONLY_ADMIN)],
    "api-rescreens": [api("GET", ADMIN_AUDITOR), api("POST", ONLY_ADMIN)],
    "api-rescreen-detail": [api("GET", ADMIN_AUDITOR, _rescreen)],
    "api-rescreen-retry": [api("POST", ONLY_ADMIN, _rescreen)],
    # The schema and its readers are public: they describe the API, they hold no data.
    "schema": [page("GET", PUBLIC)],
    "api-docs": [page("GET", PUBLIC)],
    "api-redoc": [page("GET", PUBLIC)],
}

# The Django admin is read-only and for staff accounts only (none of the role fixtures is staff).
ADMIN_SITE_PREFIX = "django-admin/"


def _url_names() -> set[str]:
    names: set[str] = set()

    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                route = prefix + str(entry.pattern)
                if route.startswith(ADMIN_SITE_PREFIX):
                    continue
                walk(entry, route, ":".join(filter(None, [namespace, entry.namespace])) or None)
            elif isinstance(entry, URLPattern) and "<format>" not in str(entry.pattern):
                name = entry.name or f"<unnamed {prefix}{entry.pattern}>"
                names.add(f"{namespace}:{name}" if namespace else name)

    walk(get_resolver(), "", None)
    return names


def test_every_url_has_an_expectation() -> None:
    names = _url_names()
    missing = sorted(names - set(MATRIX))
    stale = sorted(set(MATRIX) - names)
    assert not missing, f"add these URLs to the access matrix with the roles allowed: {missing}"
    assert not stale, f"these URLs are in the access matrix but no longer exist: {stale}"


@pytest.fixture
def world(db: None, settings: Any, tmp_path: Any) -> World:
    from compliance.models import BatchScreening, RescreenJob
    from entities.models import ListVersion
    from licensing import services
    from licensing.models import Hit

    settings.MEDIA_ROOT = tmp_path
    # Five users per test: a deliberately slow password hash would dominate the whole matrix.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    users = {
        SALES: make_user(Role.SALES, username="sales"),
        SALES2: make_user(Role.SALES, username="sales2"),
        REVIEWER: make_user(Role.REVIEWER, username="reviewer"),
        ADMIN: make_user(Role.COMPLIANCE_ADMIN, username="admin"),
        AUDITOR: make_user(Role.AUDITOR, username="auditor"),
        INTEGRATION: make_user(Role.INTEGRATION, username="order-system"),
    }
    sales = users[SALES]
    entity = make_entity("Huawei Technologies Co., Ltd.", actor=users[ADMIN], aliases=("Huawei",))
    submitted = file_request(sales, end_user="Huawei Technologies Co Ltd", submit=False)
    document = services.add_document(
        actor=sales, application=submitted, upload=SimpleUploadedFile("quote.txt", b"quote", "text/plain")
    )
    submitted = services.submit(actor=sales, application=submitted)
    question = services.ask_question(actor=users[REVIEWER], application=submitted, text="End-user statement?")
    draft = file_request(sales, submit=False)
    draft_document = services.add_document(
        actor=sales, application=draft, upload=SimpleUploadedFile("spec.txt", b"spec", "text/plain")
    )
    batch = BatchScreening.objects.create(
        created_by=sales, input_csv="name\nAcme\n", status=BatchScreening.Status.DONE, result_csv="name\nAcme\n"
    )
    rescreen = RescreenJob.objects.order_by("id").first() or RescreenJob.objects.create(
        kind=RescreenJob.Kind.FULL, reason="access matrix"
    )
    from entities.models import ImportJob
    from licensing.models import RememberedClearance

    other = services.submit(
        actor=sales, application=file_request(sales, end_user="Huawei Technologies Co Ltd", submit=False)
    )
    other_hit = Hit.objects.get(party__application=other)
    other_hit.license_policy = "case_by_case"
    other_hit.save()
    services.clear_hit(actor=users[REVIEWER], hit=other_hit, rationale="not them", remember=True)
    clearance = RememberedClearance.objects.get()
    import_job = ImportJob.objects.create(
        created_by=users[ADMIN], filename="list.csv", file=SimpleUploadedFile("list.csv", b"name\n"), dry_run=True
    )
    from licensing.catalogue import ProductData, save_product

    product = save_product(actor=sales, data=ProductData(description="Bench multimeter", eccn="EAR99"))
    from licensing import licences
    from licensing.models import Licence
    from tests.lib.cases import decide_request

    approved = file_request(sales)
    decide_request(users[REVIEWER], approved)
    licence = Licence.objects.get(application=approved)
    shipment = licences.record_shipment(
        actor=sales,
        licence=licence,
        data=licences.ShipmentData(
            shipped_on=licence.valid_from,
            reference="SO-1",
            consignee_id=approved.parties.get().pk,
            lines=[licences.ShipmentLineData(item_id=approved.items.get().pk, quantity=Decimal(1), value=Decimal(1))],
        ),
    )
    return World(
        product=product,
        users=users,
        licence=licence,
        shipment=shipment,
        import_job=import_job,
        clearance=clearance,
        submitted=submitted,
        draft=draft,
        document=document,
        draft_document=draft_document,
        hit=Hit.objects.get(party__application=submitted),
        entity=entity,
        version=ListVersion.current_number(),
        batch=batch,
        rescreen=rescreen,
        question=question,
    )


def _footprint() -> tuple[int, ...]:
    """Everything a request could change, counted: audit rows and the untracked job tables."""
    from compliance.models import BatchScreening, RescreenJob
    from entities.models import ImportJob
    from licensing.models import ExportCheck

    return (
        *(model._default_manager.count() for model in historical_models()),
        ExportCheck.objects.count(),
        BatchScreening.objects.count(),
        RescreenJob.objects.count(),
        ImportJob.objects.count(),
    )


def _client(role: str, world: World, *, for_api: bool) -> Client:
    if for_api:
        client: Client = APIClient()
        if role != ANON:
            token, _ = Token.objects.get_or_create(user=world.users[role])
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")  # type: ignore[attr-defined]
        return client
    client = Client()
    if role != ANON:
        client.force_login(world.users[role])
    return client


def _call(client: Client, method: str, url: str, *, for_api: bool) -> Any:
    if method == "GET":
        return client.get(url)
    if for_api:
        return getattr(client, method.lower())(url, {}, format="json")
    return getattr(client, method.lower())(url, {})


CASES = [(name, rule) for name, rules in MATRIX.items() for rule in rules]


@pytest.mark.parametrize(("name", "rule"), CASES, ids=[f"{rule.method} {name}" for name, rule in CASES])
def test_each_role_gets_what_the_matrix_says(name: str, rule: Rule, world: World) -> None:
    url = reverse(name, kwargs=rule.kwargs(world) if rule.kwargs else None)
    login = reverse("login")
    # Refused roles first: an allowed write (a withdrawal, an assignment) must not hide a refusal.
    for role in sorted(ROLES, key=lambda r: r in rule.allowed):
        before = _footprint()
        response = _call(_client(role, world, for_api=rule.api), rule.method, url, for_api=rule.api)
        status = response.status_code
        location = response.get("Location", "")
        where = f"{rule.method} {url} as {role}: {status} {location}"
        assert status < 500, where
        if role in rule.allowed:
            assert status not in {401, 403, 404, 405}, f"should be allowed: {where}"
            assert not location.startswith(f"{login}?next="), f"should be allowed: {where}"
        else:
            if role == ANON and not rule.api:
                assert status == 302 and location.startswith(f"{login}?next="), f"should ask to log in: {where}"
            else:
                assert status in {401, 403, 404}, f"should be refused: {where}"
            assert _footprint() == before, f"a refused request changed data: {where}"


def test_the_django_admin_is_closed_to_every_non_staff_role(world: World) -> None:
    for role in ROLES:
        response = _client(role, world, for_api=False).get(reverse("admin:index"))
        if role == INTEGRATION:
            # A machine account is refused every page outright (lib.middleware), the admin's included.
            assert response.status_code == 403, role
            continue
        assert response.status_code == 302 and "/login/" in response["Location"], role
