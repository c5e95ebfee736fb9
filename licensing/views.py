"""Licence-request pages. Views parse forms, call licensing.services, and render.

Refusals surface the same way on every page: an illegal status move or a rule the services
enforce becomes a message on the case page; a role rule is a 403; someone else's request a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from entities.models import Entity
from lib.permissions import role_required
from lib.roles import Role, has_role
from licensing import licences, services
from licensing.filters import ApplicationFilter
from licensing.forms import (
    ApplicationForm,
    DecisionForm,
    DocumentForm,
    LineItemFormSet,
    PartyFormSet,
    RationaleForm,
    ReasonForm,
    ShipmentForm,
    WithdrawForm,
    application_data,
)
from licensing.models import Application, Document, Hit, Licence, LineItem, Shipment
from licensing.status import LICENCE_AMENDABLE, OPEN_STATUSES, Action, IllegalTransition, LicenceAction
from licensing.timeline import build_timeline

READ_ALL = (Role.REVIEWER, Role.AUDITOR, Role.COMPLIANCE_ADMIN)
# What a queue row shows: fifty rows of the whole request and both users cost more to load
# (JSON determinations, timestamps) than the page needs.
QUEUE_COLUMNS = (
    "reference",
    "status",
    "needs_attention",
    "destination_country",
    "total_value",
    "submitted_at",
    "applicant_id",
    "assigned_to_id",
    "applicant__username",
    "assigned_to__username",
)


def _visible(request: HttpRequest, pk: int) -> Application:
    queryset = Application.objects.for_user(request.user).select_related("applicant", "assigned_to")
    return get_object_or_404(queryset, pk=pk)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _messages_of(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{'' if k == '__all__' else k.replace('_', ' ') + ': '}{m}"
            for k, ms in exc.message_dict.items()
            for m in ms
        ]
    return list(exc.messages)


def _attempt(request: HttpRequest, action: Callable[[], Any], *, success: str) -> bool:
    """Run a service; show its refusal as a message. PermissionDenied propagates as a 403."""
    try:
        action()
    except IllegalTransition as exc:
        messages.error(request, exc.message)
        return False
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
        return False
    messages.success(request, success)
    return True


@role_required(Role.SALES)
def mine(request: HttpRequest) -> HttpResponse:
    applications = Application.objects.filter(applicant=request.user.pk).select_related("assigned_to")
    page = Paginator(applications, 50).get_page(request.GET.get("page"))
    return render(request, "licensing/mine.html", {"page": page})


def _form_page(request: HttpRequest, application: Application | None) -> HttpResponse:
    instance = application or Application()
    post = request.POST if request.method == "POST" else None
    form = ApplicationForm(post, instance=instance, prefix="app")
    parties = PartyFormSet(post, instance=instance, prefix="parties")
    items = LineItemFormSet(post, instance=instance, prefix="items")
    if post is not None and form.is_valid() and parties.is_valid() and items.is_valid():
        data = application_data(form, parties, items)
        try:
            if application is None:
                saved = services.create_application(actor=_user(request), data=data)
            else:
                saved = services.update_draft(actor=_user(request), application=application, data=data)
        except IllegalTransition as exc:
            messages.error(request, exc.message)
            return redirect("licensing:detail", pk=instance.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Draft {saved.reference} saved.")
            return redirect("licensing:detail", pk=saved.pk)
    return render(
        request,
        "licensing/form.html",
        {"form": form, "parties": parties, "items": items, "application": application, "document_form": DocumentForm()},
    )


@role_required(Role.SALES)
def create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = _visible(request, pk)
    if application.applicant_id != request.user.pk or not has_role(request.user, Role.SALES):
        raise PermissionDenied("Only the Sales user who filed this request can change it.")
    if not application.can(Action.EDIT):
        messages.error(request, f"A request that is {application.get_status_display().lower()} cannot be edited.")
        return redirect("licensing:detail", pk=pk)
    return _form_page(request, application)


@login_required
def detail(request: HttpRequest, pk: int, decision_form: DecisionForm | None = None) -> HttpResponse:
    application = _visible(request, pk)
    user = _user(request)
    is_owner = application.applicant_id == user.pk and has_role(user, Role.SALES)
    may_review = has_role(user, Role.REVIEWER) and application.applicant_id != user.pk
    hits = (
        Hit.objects.filter(party__application=application)
        .select_related("party", "entity", "reviewed_by")
        .order_by("party_id", "-score")
    )
    context = {
        "application": application,
        "parties": application.parties.all(),
        "items": application.items.all(),
        "documents": application.documents.all(),
        "hits": hits,
        "decision": getattr(application, "decision", None) if application.is_decided else None,
        "licence": getattr(application, "licence", None) if application.is_decided else None,
        "timeline": build_timeline(application),
        "is_owner": is_owner,
        "may_review": may_review and application.is_open,
        "own_request_reviewer": has_role(user, Role.REVIEWER) and application.applicant_id == user.pk,
        "can_edit": is_owner and application.can(Action.EDIT),
        "can_submit": is_owner and application.can(Action.SUBMIT),
        "can_withdraw": is_owner and application.can(Action.WITHDRAW),
        "can_assign": may_review and application.can(Action.ASSIGN) and application.assigned_to_id != user.pk,
        "decision_form": decision_form or DecisionForm(),
        "rationale_form": RationaleForm(),
        "withdraw_form": WithdrawForm(),
        "document_form": DocumentForm(),
        "completeness": services.completeness_errors(application)
        if is_owner and application.can(Action.SUBMIT)
        else [],
    }
    return render(request, "licensing/detail.html", context)


@require_POST
@role_required(Role.SALES)
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    application = _visible(request, pk)
    _attempt(
        request,
        lambda: services.submit(actor=_user(request), application=application),
        success=f"{application.reference} submitted: every party was screened.",
    )
    return redirect("licensing:detail", pk=pk)


@require_POST
@role_required(Role.SALES)
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = _visible(request, pk)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    _attempt(
        request,
        lambda: services.withdraw(actor=_user(request), application=application, reason=reason),
        success=f"{application.reference} withdrawn.",
    )
    return redirect("licensing:detail", pk=pk)


@require_POST
@role_required(Role.SALES)
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    application = _visible(request, pk)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"Document: {error}")
        return redirect("licensing:edit", pk=pk)
    _attempt(
        request,
        lambda: services.add_document(actor=_user(request), application=application, upload=form.cleaned_data["file"]),
        success="Document attached.",
    )
    return redirect("licensing:edit", pk=pk) if application.can(Action.EDIT) else redirect("licensing:detail", pk=pk)


@require_POST
@role_required(Role.SALES)
def document_delete(request: HttpRequest, pk: int, doc: int) -> HttpResponse:
    application = _visible(request, pk)
    document = get_object_or_404(Document, pk=doc, application=application)
    _attempt(
        request,
        lambda: services.remove_document(actor=_user(request), document=document),
        success=f"Document {document.name} removed.",
    )
    return redirect("licensing:edit", pk=pk)


@login_required
def document(request: HttpRequest, pk: int, doc: int) -> HttpResponseBase:
    application = _visible(request, pk)
    document = get_object_or_404(Document, pk=doc, application=application)
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.name)


@role_required(*READ_ALL)
def queue(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    if "status" not in params:
        params.setlist("status", list(OPEN_STATUSES))
    if "ordering" not in params:
        params["ordering"] = "submitted_at"
    base = (
        Application.objects.for_user(request.user)
        .with_hit_counts()
        .select_related("applicant", "assigned_to")
        .only(*QUEUE_COLUMNS)
    )
    filterset = ApplicationFilter(params, queryset=base, request=request)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "licensing/queue.html",
        {"filter": filterset, "page": page, "may_review": has_role(request.user, Role.REVIEWER)},
    )


@require_POST
@role_required(Role.REVIEWER)
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    application = _visible(request, pk)
    _attempt(
        request,
        lambda: services.assign(actor=_user(request), application=application),
        success=f"{application.reference} is assigned to you.",
    )
    return redirect("licensing:detail", pk=pk)


@require_POST
@role_required(Role.REVIEWER)
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    application = _visible(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return detail(request, pk, decision_form=form)
    try:
        decision = services.decide(actor=_user(request), application=application, **form.cleaned_data)
    except IllegalTransition as exc:
        messages.error(request, exc.message)
        return redirect("licensing:detail", pk=pk)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            form.add_error(None, exc)
        return detail(request, pk, decision_form=form)
    messages.success(request, f"{application.reference}: {decision.get_outcome_display().lower()}.")
    return redirect("licensing:detail", pk=pk)


def _review_hit(request: HttpRequest, pk: int, service: Callable[..., Hit], verb: str) -> HttpResponse:
    visible = Hit.objects.filter(party__application__in=Application.objects.for_user(request.user))
    hit = get_object_or_404(visible.select_related("party"), pk=pk)
    form = RationaleForm(request.POST)
    rationale = form.cleaned_data["rationale"] if form.is_valid() else ""
    _attempt(
        request,
        lambda: service(actor=_user(request), hit=hit, rationale=rationale),
        success=f"Hit on {hit.party.name} {verb}.",
    )
    return redirect("licensing:detail", pk=hit.party.application_id)


@require_POST
@role_required(Role.REVIEWER)
def hit_clear(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_hit(request, pk, services.clear_hit, "cleared as a false positive")


@require_POST
@role_required(Role.REVIEWER)
def hit_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_hit(request, pk, services.confirm_hit, "confirmed")


@require_POST
@role_required(Role.REVIEWER)
def hit_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_hit(request, pk, services.acknowledge_hit, "acknowledged")


def _visible_licence(request: HttpRequest, pk: int) -> Licence:
    queryset = Licence.objects.filter(application__in=Application.objects.for_user(request.user))
    return get_object_or_404(queryset.select_related("application__applicant"), pk=pk)


@login_required
def licence(request: HttpRequest, pk: int, shipment_form: ShipmentForm | None = None) -> HttpResponse:
    """A licence's page: its status and why, per line licensed, shipped and remaining, the ledger."""
    found = _visible_licence(request, pk)
    application = found.application
    user = _user(request)
    parties = list(application.parties.all())
    balances = found.balances()
    officer = has_role(user, Role.REVIEWER, Role.COMPLIANCE_ADMIN) and application.applicant_id != user.pk
    holder = has_role(user, Role.SALES) and application.applicant_id == user.pk
    shipments = list(
        found.shipments.select_related("consignee", "recorded_by", "reverses").prefetch_related("lines__item")
    )
    reversed_ids = {s.reverses_id for s in shipments if s.reverses_id}
    context = {
        "licence": found,
        "application": application,
        "balances": balances,
        "shipments": shipments,
        "reversed_ids": reversed_ids,
        "actions": [
            (action, str(LicenceAction(action).label).capitalize())
            for action in licences.OFFICER_ACTIONS
            if officer and found.can(action)
        ],
        "waiting": licences.unreviewed_hits(application) if officer and found.can(LicenceAction.RELEASE) else [],
        "may_ship": holder and found.shippable,
        "may_amend": holder and found.status in LICENCE_AMENDABLE,
        "superseded_by": Licence.objects.filter(supersedes=found).first(),
        "may_reverse": holder or has_role(user, Role.COMPLIANCE_ADMIN),
        "reason_form": ReasonForm(),
        "shipment_form": shipment_form
        or ShipmentForm(
            parties=parties, items=[b.item for b in balances], initial={"shipped_on": timezone.localdate()}
        ),
    }
    return render(request, "licensing/licence.html", context)


@require_POST
@role_required(Role.REVIEWER, Role.COMPLIANCE_ADMIN)
def licence_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    found = _visible_licence(request, pk)
    if action not in licences.OFFICER_ACTIONS:
        raise Http404("No such licence action.")
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    _attempt(
        request,
        lambda: licences.act(actor=_user(request), licence=found, action=action, reason=reason),
        success=f"Licence {found.number}: {licences.OFFICER_ACTIONS[action].lower()}.",
    )
    return redirect("licensing:licence", pk=pk)


@require_POST
@role_required(Role.SALES)
def shipment_create(request: HttpRequest, pk: int) -> HttpResponse:
    found = _visible_licence(request, pk)
    items = list(LineItem.objects.filter(application_id=found.application_id).order_by("pk"))
    form = ShipmentForm(request.POST, parties=found.application.parties.all(), items=items)
    if not form.is_valid():
        return licence(request, pk, shipment_form=form)
    try:
        shipment = licences.record_shipment(actor=_user(request), licence=found, data=form.to_data())
    except IllegalTransition as exc:
        messages.error(request, exc.message)
        return redirect("licensing:licence", pk=pk)
    except ValidationError as exc:
        for message in _messages_of(exc):
            form.add_error(None, message)
        return licence(request, pk, shipment_form=form)
    messages.success(request, f"Shipment {shipment.reference} recorded against {found.number}.")
    return redirect("licensing:licence", pk=pk)


@require_POST
@role_required(Role.SALES, Role.COMPLIANCE_ADMIN)
def shipment_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    visible = Shipment.objects.filter(licence__application__in=Application.objects.for_user(request.user))
    shipment = get_object_or_404(visible, pk=pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    _attempt(
        request,
        lambda: licences.reverse_shipment(actor=_user(request), shipment=shipment, reason=reason),
        success=f"Shipment {shipment.reference} reversed.",
    )
    return redirect("licensing:licence", pk=shipment.licence_id)


@role_required(Role.COMPLIANCE_ADMIN)
def entity_licences(request: HttpRequest, pk: int) -> HttpResponse:
    """Suspend or revoke every licence whose parties hit an entity: a preview first, then one reason for all."""
    entity = get_object_or_404(Entity, pk=pk)
    source = request.POST if request.method == "POST" else request.GET
    action = source.get("action", "")
    form = ReasonForm(source)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    if request.method == "POST":
        expected = [int(x) for x in request.POST.getlist("licence") if x.isdigit()]
        done = _attempt(
            request,
            lambda: licences.act_on_entity(
                actor=_user(request), entity_id=entity.pk, action=action, reason=reason, expected=expected
            ),
            success=f"{licences.BULK_ACTIONS.get(action, action)}: {len(expected)} licence(s) touching {entity.name}.",
        )
        if done:
            return redirect("entities:detail", pk=entity.pk)
    preview = licences.touching_entity(entity.pk, action) if action in licences.BULK_ACTIONS else None
    return render(
        request,
        "licensing/entity_licences.html",
        {
            "entity": entity,
            "action": action,
            "action_label": licences.BULK_ACTIONS.get(action, ""),
            "actions": licences.BULK_ACTIONS.items(),
            "reason": reason,
            "reason_form": form if form.is_bound else ReasonForm(),
            "preview": preview,
        },
    )


@require_POST
@role_required(Role.SALES)
def licence_amend(request: HttpRequest, pk: int) -> HttpResponse:
    """The holder asks for an amendment: a draft copy of the licensed request to edit and submit."""
    found = _visible_licence(request, pk)
    try:
        amendment = services.request_amendment(actor=_user(request), licence=found)
    except IllegalTransition as exc:
        messages.error(request, exc.message)
        return redirect("licensing:licence", pk=pk)
    messages.success(
        request, f"Amendment {amendment.reference} of {found.number} drafted: change what you need, then submit it."
    )
    return redirect("licensing:edit", pk=amendment.pk)
