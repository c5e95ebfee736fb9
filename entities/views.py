"""List maintenance pages: anyone signed in searches and reads; Compliance admins change.

The list is published law, so reading it needs no particular role (the API reads alike).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from entities.filters import EntityFilter
from entities.forms import DelistForm, EntityForm
from entities.models import Entity, ListVersion, ListVersionChange
from entities.services import create_entity, delist_entity, record_from_entity, update_entity
from entities.timeline import address_line, entity_timeline
from lib.permissions import role_required
from lib.roles import Role, has_role

ENTITIES_PER_PAGE = 50
CHANGES_PER_PAGE = 100


def _service_errors(form: Form, error: ValidationError) -> None:
    """Show a service's refusal on the form: field errors by the field, the rest at the top."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)


def _querystring(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def entity_list(request: HttpRequest) -> HttpResponse:
    queryset = Entity.objects.prefetch_related("aliases", "addresses")
    entity_filter = EntityFilter(request.GET or None, queryset=queryset)
    page = Paginator(entity_filter.qs, ENTITIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "entities/entity_list.html",
        {
            "filter": entity_filter,
            "page": page,
            "querystring": _querystring(request),
            "can_edit": has_role(request.user, Role.COMPLIANCE_ADMIN),
        },
    )


@login_required
def entity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entity = get_object_or_404(
        Entity.objects.select_related("first_version", "last_version", "not_in_source_since").prefetch_related(
            "aliases", "addresses"
        ),
        pk=pk,
    )
    changes = ListVersionChange.objects.filter(entity=entity).select_related("version").order_by("version__number")
    return render(
        request,
        "entities/entity_detail.html",
        {
            "entity": entity,
            "addresses": [(a, address_line(a)) for a in entity.addresses.all()],
            "timeline": entity_timeline(entity),
            "version_changes": changes,
            "can_edit": has_role(request.user, Role.COMPLIANCE_ADMIN),
        },
    )


@role_required(Role.COMPLIANCE_ADMIN)
def entity_create(request: HttpRequest) -> HttpResponse:
    form = EntityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entity = create_entity(actor=request.user, record=form.to_record(), reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, f"{entity.name} added to the list as version {entity.last_version}.")
            return redirect("entities:detail", pk=entity.pk)
    return render(request, "entities/entity_form.html", {"form": form, "entity": None})


@role_required(Role.COMPLIANCE_ADMIN)
def entity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entity = get_object_or_404(Entity.objects.prefetch_related("aliases", "addresses"), pk=pk)
    if not entity.is_active:
        messages.error(request, "A delisted entity cannot be edited; it is kept as it was when delisted.")
        return redirect("entities:detail", pk=entity.pk)
    form = EntityForm(request.POST or None, initial=EntityForm.initial_for(entity))
    if request.method == "POST" and form.is_valid():
        record = form.to_record(base=record_from_entity(entity))
        try:
            entity = update_entity(
                actor=request.user,  # type: ignore[arg-type]
                entity=entity,
                record=record,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, f"Changes saved as list version {entity.last_version}.")
            return redirect("entities:detail", pk=entity.pk)
    return render(request, "entities/entity_form.html", {"form": form, "entity": entity})


@role_required(Role.COMPLIANCE_ADMIN)
def entity_delist(request: HttpRequest, pk: int) -> HttpResponse:
    entity = get_object_or_404(Entity, pk=pk)
    form = DelistForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entity = delist_entity(
                actor=request.user,  # type: ignore[arg-type]
                entity=entity,
                reason=form.cleaned_data["reason"],
                on=form.cleaned_data["delisted_on"],
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, f"{entity.name} delisted as list version {entity.last_version}.")
            return redirect("entities:detail", pk=entity.pk)
    return render(request, "entities/entity_delist.html", {"form": form, "entity": entity})


@login_required
def version_list(request: HttpRequest) -> HttpResponse:
    versions = ListVersion.objects.select_related("created_by").order_by("-number")
    page = Paginator(versions, ENTITIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "entities/version_list.html", {"page": page})


@login_required
def version_detail(request: HttpRequest, number: int) -> HttpResponse:
    version = get_object_or_404(ListVersion.objects.select_related("created_by"), number=number)
    changes = version.changes.select_related("entity").order_by("change", "entity__name", "id")
    kind = request.GET.get("change", "")
    if kind in ListVersionChange.Change.values:
        changes = changes.filter(change=kind)
    page = Paginator(changes, CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "entities/version_detail.html",
        {
            "version": version,
            "page": page,
            "change_kind": kind,
            "change_choices": ListVersionChange.Change.choices,
            "querystring": _querystring(request),
        },
    )
