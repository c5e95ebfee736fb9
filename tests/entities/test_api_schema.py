"""The OpenAPI schema describes the list endpoints truthfully, and its docs work air-gapped."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

# src/href/spec-url attributes and CSS url(...) references of a page.
REFERENCE = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)""")


@pytest.fixture
def schema() -> dict[str, Any]:
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def references(page: str) -> list[str]:
    return [a or b for a, b in REFERENCE.findall(page)]


def test_the_schema_renders_and_is_valid_openapi(schema: dict[str, Any]) -> None:
    validate_schema(schema)
    assert schema["info"]["title"] == "Clearance API"


def test_the_schema_covers_every_list_endpoint_and_only_the_offered_methods(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    expected = {
        "/api/v1/entities/": {"get", "post"},
        "/api/v1/entities/{id}/": {"get", "patch"},
        "/api/v1/entities/{id}/delist/": {"post"},
        "/api/v1/entities/{id}/history/": {"get"},
        "/api/v1/list-versions/": {"get"},
        "/api/v1/list-versions/{number}/": {"get"},
        "/api/v1/list-versions/{number}/changes/": {"get"},
        "/api/v1/auth/token/": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert set(paths[path]) - {"parameters"} == methods, path


def test_the_schema_types_the_entity_bodies_and_filters(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    entity = components["Entity"]["properties"]
    assert entity["id"]["type"] == "integer"
    assert entity["aliases"] == {"type": "array", "items": {"type": "string"}, "readOnly": True}
    assert entity["addresses"]["items"] == {"$ref": "#/components/schemas/Address"}
    assert entity["is_active"]["type"] == "boolean"
    assert entity["last_version"]["type"] == "integer"
    assert entity["start_date"]["format"] == "date"

    write = components["EntityWrite"]
    assert {"name", "source", "reason"} <= set(write["required"])
    assert write["properties"]["reason"]["writeOnly"] is True
    assert write["properties"]["aliases"]["items"]["type"] == "string"
    assert "reason" in components["Delist"]["required"]

    post = schema["paths"]["/api/v1/entities/"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/EntityWrite")
    assert post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/Entity")
    assert "400" in post["responses"]

    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/entities/"]["get"]["parameters"]}
    assert {"q", "source", "type", "country", "policy", "active", "page"} <= set(parameters)
    assert parameters["active"]["type"] == "boolean"
    assert "presumption_of_denial" in parameters["policy"]["enum"]

    version = components["ListVersionDetail"]["properties"]
    assert version["created_by"]["type"] == "string"
    assert (version["changes_url"]["format"], version["changes_url"]["readOnly"]) == ("uri", True)
    assert "changes" not in version
    number = schema["paths"]["/api/v1/list-versions/{number}/"]["get"]["parameters"][0]
    assert number["schema"]["type"] == "integer"


@pytest.mark.parametrize(
    ("path", "item"),
    [
        ("/api/v1/entities/{id}/history/", "HistoryEvent"),
        ("/api/v1/list-versions/{number}/changes/", "ListVersionChange"),
    ],
)
def test_the_schema_pages_the_history_and_a_versions_changes(schema: dict[str, Any], path: str, item: str) -> None:
    operation = schema["paths"][path]["get"]
    assert "page" in {p["name"] for p in operation["parameters"]}
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = schema["components"]["schemas"][page]["properties"]
    assert {"count", "next", "previous", "results"} <= set(properties)
    assert properties["results"]["items"]["$ref"].endswith(f"/{item}")


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_reference_only_local_assets(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 200
    page = response.content.decode()
    refs = references(page)
    assert refs, "the page loads its assets"
    # Swagger UI's start-up script is served by the page's own URL (`?script`), not inline (CSP).
    own_script = f"{url}?script="
    outside = [ref for ref in refs if not (ref.startswith("/static/") or ref in {"/api/schema/", own_script})]
    assert outside == []
    scripts = Client().get(own_script).content.decode() if own_script in refs else ""
    for host in ("cdn.", "jsdelivr", "unpkg", "googleapis", "gstatic", "cloudflare"):
        assert host not in page
        assert host not in scripts


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_docs_assets_are_installed_locally(url: str) -> None:
    page = Client().get(url).content.decode()
    for ref in references(page):
        if ref.startswith("/static/"):
            assert finders.find(ref.removeprefix("/static/")), ref


def test_swagger_ui_does_not_call_the_online_validator() -> None:
    start_up = Client().get("/api/docs/", {"script": ""})
    assert start_up["Content-Type"].startswith("application/javascript")
    assert '"validatorUrl": null' in start_up.content.decode()
