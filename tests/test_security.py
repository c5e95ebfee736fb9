"""Hardening a reviewer of the deployment would check: deploy checks, throttling, CSRF, headers,
cookies, and an audit trail that nothing in the product can rewrite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.admin.sites import site as admin_site
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient
from simple_history.models import HistoricalChanges

from lib.history import HistoryIsAppendOnly, historical_models
from lib.roles import Role
from tests.conftest import REPO_ROOT
from tests.factories import make_entity, make_user

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x9!rQ-production-like-secret-key-for-the-deploy-check-7Hc2mZp4Lw8sVb1nKt6yEe3",
    "ALLOWED_HOSTS": "clearance.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://clearance.example.com",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_COOKIES": "1",
    "SECURE_PROXY_SSL_HEADER": "1",
}
PASSWORD = "a-long-password-1"


def _without_test_only_variables(environ: dict[str, str]) -> dict[str, str]:
    # The browser tests allow Django's async-unsafe calls in the test process; a deployment never would.
    return {k: v for k, v in environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def test_the_deploy_check_is_clean_with_the_production_environment() -> None:
    env = {**_without_test_only_variables(dict(os.environ)), **PRODUCTION_ENV}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


MINIMAL_PRODUCTION_ENV = {k: PRODUCTION_ENV[k] for k in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}


def test_debug_off_alone_turns_on_https_redirect_secure_cookies_and_a_year_of_hsts() -> None:
    # Only DEBUG, SECRET_KEY, ALLOWED_HOSTS and the service URLs set: the deploy check reports
    # nothing but the two whole-domain HSTS commitments, which stay opt-in.
    env = {
        k: v
        for k, v in _without_test_only_variables(dict(os.environ)).items()
        if k not in PRODUCTION_ENV or k in MINIMAL_PRODUCTION_ENV
    }
    env.update(MINIMAL_PRODUCTION_ENV)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    warnings = set(re.findall(r"\(security\.(W\d+)\)", result.stdout + result.stderr))
    assert warnings == {"W005", "W021"}, result.stdout + result.stderr
    settings_dump = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert settings_dump.stdout.split() == ["True", "True", "True", "31536000"], settings_dump.stderr


def test_the_deploy_check_flags_the_development_defaults() -> None:
    env = {k: v for k, v in _without_test_only_variables(dict(os.environ)).items() if k not in PRODUCTION_ENV}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_one(settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    make_user(Role.SALES, username="maria", password=PASSWORD)
    client = Client()
    for _ in range(3):
        client.post(reverse("login"), {"username": "maria", "password": "guess"})
    response = client.post(reverse("login"), {"username": "maria", "password": PASSWORD})
    assert response.status_code in {403, 429}
    assert client.get(reverse("dashboard")).status_code == 302, "a locked-out user must not be signed in"


@pytest.mark.django_db
def test_a_lockout_applies_to_the_api_token_endpoint_too(settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    make_user(Role.REVIEWER, username="rita", password=PASSWORD)
    client = APIClient()
    for _ in range(3):
        client.post("/api/v1/auth/token/", {"username": "rita", "password": "guess"})
    response = client.post("/api/v1/auth/token/", {"username": "rita", "password": PASSWORD})
    assert response.status_code != 200
    assert "token" not in response.content.decode()


@pytest.mark.django_db
def test_a_successful_log_in_resets_the_failure_count(settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    make_user(Role.SALES, username="maria", password=PASSWORD)
    client = Client()
    for _ in range(2):
        client.post(reverse("login"), {"username": "maria", "password": "guess"})
    assert client.post(reverse("login"), {"username": "maria", "password": PASSWORD}).status_code == 302
    client.post(reverse("logout"))
    for _ in range(2):
        client.post(reverse("login"), {"username": "maria", "password": "guess"})
    assert client.post(reverse("login"), {"username": "maria", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_forms_refuse_a_post_without_the_csrf_token() -> None:
    make_user(Role.SALES, username="maria", password=PASSWORD)
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "maria", "password": PASSWORD})
    assert response.status_code == 403
    assert client.get(reverse("dashboard")).status_code == 302


@pytest.mark.django_db
def test_every_page_form_carries_a_csrf_token(client_for: Any, sales: User) -> None:
    page = client_for(sales).get(reverse("dashboard")).content.decode()
    # The log-out button is a form on every signed-in page.
    assert page.count("<form") == page.count('name="csrfmiddlewaretoken"')


@pytest.mark.django_db
def test_the_api_refuses_a_session_write_without_the_csrf_token(sales: User) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(sales)
    # Any authenticated unsafe request through a session must carry the token; the token endpoint
    # is exempt (no session), so use a write the API routes expose, or log out as the witness.
    response = client.post(reverse("logout"))
    assert response.status_code == 403


@pytest.mark.django_db
def test_responses_carry_the_security_headers(settings: Any, sales: User) -> None:
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    client = Client()
    client.force_login(sales)
    response = client.get(reverse("dashboard"), secure=True)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
def test_production_cookies_are_secure_http_only_and_same_site(settings: Any) -> None:
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    make_user(Role.SALES, username="maria", password=PASSWORD)
    client = Client()
    client.get(reverse("login"), secure=True)
    response = client.post(reverse("login"), {"username": "maria", "password": PASSWORD}, secure=True)
    session = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    csrf = client.cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] and csrf["samesite"] == "Lax"


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_in_production(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get(reverse("login"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


# --- Content-Security-Policy: nothing inline, nothing from elsewhere, no framing ----------------

STRICT_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def _policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


def _without_nonces(policy: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: [s for s in sources if not s.startswith("'nonce-")] for name, sources in policy.items()}


@pytest.mark.django_db
def test_pages_the_api_and_error_pages_carry_the_strict_content_security_policy(
    client_for: Any, api_for: Any, sales: User
) -> None:
    signed_in = client_for(sales)
    responses = {
        "log-in page": Client().get(reverse("login")),
        "dashboard": signed_in.get(reverse("dashboard")),
        "a page the role may not see (403)": signed_in.get(reverse("licensing:queue")),
        "a missing page (404)": signed_in.get("/no-such-page/"),
        "an API list": api_for(sales).get("/api/v1/applications/"),
        "the OpenAPI schema": Client().get(reverse("schema")),
    }
    assert responses["a page the role may not see (403)"].status_code == 403
    assert responses["a missing page (404)"].status_code == 404
    for what, response in responses.items():
        assert _without_nonces(_policy(response)) == STRICT_POLICY, what


@pytest.mark.django_db
def test_the_dashboard_charts_style_carries_the_nonce_the_header_allows(
    client_for: Any, compliance_admin: User
) -> None:
    make_entity("Acme Rocket Works", actor=compliance_admin)
    client = client_for(compliance_admin)
    first, second = client.get(reverse("dashboard")), client.get(reverse("dashboard"))
    page = first.content.decode()
    nonces = [s for s in _policy(first)["style-src"] if s.startswith("'nonce-")]
    assert len(nonces) == 1
    nonce = nonces[0][len("'nonce-") : -1]
    assert page.count("<style") >= 1
    assert page.count("<style") == page.count(f'<style nonce="{nonce}"')
    assert "<script" not in page, "pygal's inline settings script must not reach the page"
    assert f"'nonce-{nonce}'" not in second["Content-Security-Policy"], "a nonce is never reused"


@pytest.mark.django_db
def test_only_the_api_docs_relax_the_policy_and_never_for_scripts() -> None:
    swagger = _policy(Client().get(reverse("api-docs")))
    assert swagger == {**STRICT_POLICY, "img-src": ["'self'", "data:"]}
    swagger_script = Client().get(reverse("api-docs") + "?script")
    assert swagger_script["Content-Type"].startswith("application/javascript")
    redoc = _policy(Client().get(reverse("api-redoc")))
    assert redoc == {
        **STRICT_POLICY,
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "worker-src": ["'self'", "blob:"],
    }


# Rendered to PDF by xhtml2pdf on the server, never served to a browser.
NOT_SERVED_AS_HTML = {"exports/case_file_pdf.html"}


def test_no_template_has_an_inline_script_style_or_event_handler() -> None:
    offenders = []
    root = REPO_ROOT / "templates"
    for path in sorted(root.rglob("*.html")):
        name = str(path.relative_to(root))
        if name in NOT_SERVED_AS_HTML:
            continue
        text = path.read_text()
        found = [
            *re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text),
            *re.findall(r"<style\b[^>]*>", text),
            *re.findall(r"\s(?:style|on[a-z]+)=[\"']", text),
        ]
        offenders += [f"{name}: {snippet.strip()}" for snippet in found]
    assert not offenders, f"the Content-Security-Policy would refuse these; use static files and classes: {offenders}"


# --- The audit trail is append-only --------------------------------------------------------------


def _patterns(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    resolver = resolver or get_resolver()
    found: list[tuple[str, URLPattern]] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _patterns(entry, prefix + str(entry.pattern))
        else:
            found.append((prefix + str(entry.pattern), entry))
    return found


def _view_model(pattern: URLPattern) -> type | None:
    view_class = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
    queryset = getattr(view_class, "queryset", None)
    model = getattr(view_class, "model", None) or getattr(queryset, "model", None)
    return model if isinstance(model, type) else None


def _writable_methods(pattern: URLPattern) -> set[str]:
    callback = pattern.callback
    actions: dict[str, str] | None = getattr(callback, "actions", None)
    if actions is not None:  # a DRF viewset route: only the mapped methods exist
        return {m.lower() for m in actions} - {"get", "head", "options"}
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return {"post", "put", "patch", "delete"}  # a function view: assume the worst
    names = set(getattr(view_class, "http_method_names", ()))
    return {m for m in names if hasattr(view_class, m)} - {"get", "head", "options", "trace"}


def test_no_page_or_endpoint_serves_history_rows_for_writing() -> None:
    offenders = []
    for route, pattern in _patterns():
        if route.startswith("django-admin/"):
            continue  # the admin is checked against its registry below
        model = _view_model(pattern)
        about_history = (model is not None and issubclass(model, HistoricalChanges)) or "history" in route.lower()
        if about_history and _writable_methods(pattern):
            offenders.append(f"{route} ({pattern.name}): {sorted(_writable_methods(pattern))}")
    assert not offenders, "history must be read-only from the product:\n" + "\n".join(offenders)


def test_the_admin_site_registers_no_history_model() -> None:
    registered = [model for model in admin_site._registry if issubclass(model, HistoricalChanges)]
    assert not registered


def test_every_tracked_model_has_its_history_guarded() -> None:
    from django.db.models.signals import pre_delete, pre_save

    models = historical_models()
    assert models, "the project tracks history on its models"
    for model in models:
        assert pre_save.has_listeners(model) and pre_delete.has_listeners(model), model.__name__


@pytest.mark.django_db
def test_a_history_row_cannot_be_edited_or_deleted(compliance_admin: User) -> None:
    entity = make_entity("Acme Rocket Works", actor=compliance_admin)
    row = entity.history.first()  # type: ignore[attr-defined]
    assert row is not None and row.history_user == compliance_admin
    row.history_change_reason = "rewritten"
    # Each attempt in its own savepoint, as a request would be in its own transaction.
    with pytest.raises(HistoryIsAppendOnly), transaction.atomic():
        row.save()
    with pytest.raises(HistoryIsAppendOnly), transaction.atomic():
        row.delete()
    with pytest.raises(HistoryIsAppendOnly), transaction.atomic():
        type(row).objects.filter(pk=row.pk).delete()
    row.refresh_from_db()
    assert row.history_change_reason == "test fixture"


@pytest.mark.django_db
def test_changes_keep_adding_history_rows(compliance_admin: User) -> None:
    entity = make_entity("Acme Rocket Works", actor=compliance_admin)
    from entities.services import delist_entity

    delist_entity(actor=compliance_admin, entity=entity, reason="Removed by 89 FR 1234")
    reasons = list(entity.history.order_by("history_id").values_list("history_change_reason", flat=True))  # type: ignore[attr-defined]
    assert reasons == ["test fixture", "Removed by 89 FR 1234"]


# --- Uploads are checked for size and type, and a refused upload stores nothing -----------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filename", "content"),
    [("payload.exe", b"MZ\x90\x00binary"), ("notes.html", b"<script>alert(1)</script>")],
)
def test_a_document_of_a_forbidden_type_is_refused(
    filename: str, content: bytes, settings: Any, tmp_path: Any, sales: User
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from licensing.models import Document
    from tests.lib.cases import file_request

    settings.MEDIA_ROOT = tmp_path
    draft = file_request(sales, submit=False)
    client = Client()
    client.force_login(sales)
    response = client.post(
        reverse("licensing:document_upload", args=[draft.pk]),
        {"file": SimpleUploadedFile(filename, content)},
        follow=True,
    )
    assert response.status_code == 200
    assert not Document.objects.exists()
    assert not any(tmp_path.rglob(filename))


@pytest.mark.django_db
def test_a_document_over_the_size_limit_is_refused(settings: Any, tmp_path: Any, sales: User) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from licensing.models import DOCUMENT_MAX_BYTES, Document
    from tests.lib.cases import file_request

    settings.MEDIA_ROOT = tmp_path
    draft = file_request(sales, submit=False)
    client = Client()
    client.force_login(sales)
    big = SimpleUploadedFile("quote.pdf", b"%PDF-1.4\n" + b"0" * DOCUMENT_MAX_BYTES, "application/pdf")
    response = client.post(reverse("licensing:document_upload", args=[draft.pk]), {"file": big}, follow=True)
    assert response.status_code == 200
    assert "10 MB" in response.content.decode()
    assert not Document.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filename", "content", "limit"),
    [
        ("list.exe", b"name\nAcme\n", 10_000),
        ("list.csv", b"name\nAcme\n" * 20, 50),
        ("list.csv", b"\x00\x01bin", 10_000),
    ],
    ids=["wrong type", "too large", "binary disguised as csv"],
)
def test_a_list_upload_of_the_wrong_type_or_size_is_refused(
    filename: str, content: bytes, limit: int, settings: Any, tmp_path: Any, compliance_admin: User
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from entities.models import ImportJob, ListVersion

    settings.MEDIA_ROOT = tmp_path
    settings.LIST_UPLOAD_MAX_BYTES = limit
    client = Client()
    client.force_login(compliance_admin)
    response = client.post(reverse("entities:import"), {"file": SimpleUploadedFile(filename, content)})
    assert response.status_code in {200, 400}
    assert 'class="errorlist' in response.content.decode()
    assert not ImportJob.objects.exists()
    assert ListVersion.current_number() == 0
