"""Licence-request pages. Views parse forms, call licensing.services, and render.

Refusals surface the same way on every page: an illegal status move or a rule the services
enforce becomes a message on the case page; a role rule is a 403; someone else's request a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from entities.models import Entity
from lib.errors import Conflict
from lib.permissions import role_required
from lib.roles import Role, has_role
from licensing import catalogue, licences, services
from licensing import impact as impact_of
from licensing.country_chart import SHIPPED_DATE, ChartFormatError, load_chart, read_chart
from licensing.filters import ApplicationFilter
from licensing.forms import (
    ApplicationForm,
    ClearanceSearchForm,
    ClearForm,
    CountersignForm,
    DecisionForm,
    DocumentForm,
    LineItemFormSet,
    NoteForm,
    PartyFormSet,
    QuestionForm,
    QuestionWithdrawForm,
    RationaleForm,
    ReasonForm,
    ReplyForm,
    RevokeForm,
    ShipmentForm,
    SignOffPolicyForm,
    ThresholdPreviewForm,
    WithdrawForm,
    application_data,
    assessment_from_post,
    place_errors,
)
from licensing.hits import earlier_verdicts
from licensing.models import (
    Application,
    CaseNote,
    CountryChart,
    Document,
    Hit,
    Licence,
    LineItem,
    Question,
    RememberedClearance,
    Shipment,
    SignOff,
    SignOffPolicy,
    sees_internal,
)
from licensing.status import LICENCE_AMENDABLE, OPEN_STATUSES, Action, IllegalTransition, LicenceAction, Status
from licensing.timeline import build_timeline

READ_ALL = (Role.REVIEWER, Role.AUDITOR, Role.COMPLIANCE_ADMIN)
# A country chart file is 8 KB as a CSV, 26 KB as JSON.
CHART_UPLOAD_MAX_BYTES = 1_000_000
# What a queue row shows: fifty rows of the whole request and both users cost more to load
# (JSON determinations, timestamps) than the page needs.
QUEUE_COLUMNS = (
    "reference",
    "status",
    "needs_attention",
    "destination_country",
    "total_value",
    "submitted_at",
    "reply_received_at",
    "target_date",
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


def _attempt(request: HttpRequest, action: Callable[[], Any], *, success: str, where: str = "") -> bool:
    """Run a service; show its refusal as a message. PermissionDenied propagates as a 403.

    `where` tags the messages with the part of the page the reader is sent back to (the case
    page shows "hits" messages above the hits, not at the top of a long page).
    """
    try:
        action()
    except IllegalTransition as exc:
        messages.error(request, exc.message, extra_tags=where)
        return False
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message, extra_tags=where)
        return False
    messages.success(request, success, extra_tags=where)
    return True


def _flash_errors(request: HttpRequest, form: forms.Form, what: str) -> None:
    """Each of a form's errors as a message ("Note: ..."), for forms posted from the case page."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, f"{what}: {error}")


@role_required(Role.SALES)
def mine(request: HttpRequest) -> HttpResponse:
    applications = (
        Application.objects.filter(applicant=request.user.pk).select_related("assigned_to").with_licence_status()
    )
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
            place_errors(exc, form, parties, items)
        else:
            messages.success(request, f"Draft {saved.reference} saved.")
            if application is not None and "attach" in request.POST:
                # "Save the draft and attach": the document rides with the form, so nothing typed
                # since the last save is lost to the upload.
                _attach(request, application)
                return _to_edit(application.pk, anchor="docs-heading")
            return redirect("licensing:detail", pk=saved.pk)
    return render(
        request,
        "licensing/form.html",
        {"form": form, "parties": parties, "items": items, "application": application, "document_form": DocumentForm()},
    )


def _attach(request: HttpRequest, application: Application) -> None:
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        _flash_errors(request, form, "Document")
        return
    _attempt(
        request,
        lambda: services.add_document(actor=_user(request), application=application, upload=form.cleaned_data["file"]),
        success="Document attached.",
    )


def _to_edit(pk: int, *, anchor: str) -> HttpResponse:
    return redirect(f"{reverse('licensing:edit', args=[pk])}#{anchor}")


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


@require_POST
@role_required(Role.SALES)
def copy(request: HttpRequest, pk: int) -> HttpResponse:
    """A new draft made from any request the user may read; they review it before saving again."""
    source = _visible(request, pk)
    draft = services.copy_application(actor=_user(request), source=source)
    messages.success(request, f"Draft {draft.reference} copied from {source.reference}: check it and save.")
    return redirect("licensing:edit", pk=draft.pk)


@login_required
def detail(request: HttpRequest, pk: int, decision_form: DecisionForm | None = None) -> HttpResponse:
    application = _visible(request, pk)
    user = _user(request)
    is_owner = application.applicant_id == user.pk and has_role(user, Role.SALES)
    may_review = has_role(user, Role.REVIEWER) and application.applicant_id != user.pk
    hits = list(
        Hit.objects.filter(party__application=application)
        .select_related("party", "entity", "reviewed_by", "cleared_by__application", "lapsed_clearance")
        .prefetch_related("entity__addresses")
        .order_by("entity__name", "party_id", "-score", "pk")
    )
    verdicts = earlier_verdicts(hits)
    hit_groups: dict[str, list[Hit]] = {}
    for hit in hits:
        hit.earlier_verdicts = verdicts.get(hit.pk, [])  # type: ignore[attr-defined]
        # Entries of one name (the same company listed in several countries or lists) side by side.
        hit_groups.setdefault(hit.entity.name, []).append(hit)
    questions = (
        Question.objects.filter(application=application)
        .select_related("asked_by", "replied_by")
        .prefetch_related("documents")
    )
    sign_offs = list(SignOff.objects.filter(application=application).select_related("proposed_by", "countersigned_by"))
    context = {
        "application": application,
        "parties": application.parties.all(),
        "items": application.items.all(),
        "classifications": catalogue.classifications(application),
        "documents": application.documents.all(),
        "hits": hits,
        "hit_groups": list(hit_groups.items()),
        "any_reviewable": may_review
        and application.is_open
        and any(h.reviewable or h.awaits_acknowledgement for h in hits),
        "questions": questions,
        "can_ask": may_review and application.can(Action.ASK),
        "notes": CaseNote.objects.visible_to(user)
        .filter(application=application)
        .select_related("author")
        .prefetch_related("mentioned"),
        "can_note": has_role(user, Role.REVIEWER, Role.COMPLIANCE_ADMIN)
        and application.applicant_id != user.pk
        and application.status != Status.DRAFT,
        "note_form": NoteForm(),
        "sign_offs": sign_offs,
        "pending_sign_off": next((so for so in sign_offs if so.status == SignOff.Status.PENDING), None),
        "needs_assessment": may_review and application.is_open and services.ever_confirmed_under_denial(application),
        "can_countersign": may_review and application.status == Status.AWAITING_COUNTERSIGNATURE,
        "countersign_form": CountersignForm(),
        "question_form": QuestionForm(),
        "reply_form": ReplyForm(),
        "question_withdraw_form": QuestionWithdrawForm(),
        "decision": getattr(application, "decision", None) if application.is_decided else None,
        "licence": getattr(application, "licence", None) if application.is_decided else None,
        "timeline": build_timeline(application, internal=sees_internal(user)),
        "is_owner": is_owner,
        "may_review": may_review and application.is_open,
        "own_request_reviewer": has_role(user, Role.REVIEWER) and application.applicant_id == user.pk,
        "can_edit": is_owner and application.can(Action.EDIT),
        "can_copy": has_role(user, Role.SALES),
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
    # Messages about hits are shown above the hits (where a reviewer is sent back to), the rest at
    # the top; an empty list would leave an empty live region beside the real one.
    notices = list(messages.get_messages(request))
    context["page_messages"] = [m for m in notices if "hits" not in m.extra_tags]
    context["hit_messages"] = [m for m in notices if "hits" in m.extra_tags]
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
        _flash_errors(request, form, "Document")
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
    if "ordering" not in params:
        params["ordering"] = "submitted_at"
    base = Application.objects.for_user(request.user)
    if not params.getlist("status") and not params.get("q", "").strip():
        # The working queue is the open requests; a search (an auditor's) looks through them all.
        # Applied here rather than as the form's default, so the search form never sends it back.
        base = base.filter(status__in=OPEN_STATUSES)
    base = base.with_hit_counts().with_licence_status().select_related("applicant", "assigned_to").only(*QUEUE_COLUMNS)
    filterset = ApplicationFilter(params, queryset=base, request=request)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    may_assign = has_role(request.user, Role.COMPLIANCE_ADMIN)
    reviewers = User.objects.filter(groups__name=Role.REVIEWER.value, is_active=True).order_by("username")
    return render(
        request,
        "licensing/queue.html",
        {
            "filter": filterset,
            "page": page,
            "may_review": has_role(request.user, Role.REVIEWER),
            "may_assign": may_assign,
            "reviewers": reviewers if may_assign else [],
        },
    )


def _is_id(value: str) -> bool:
    # Digits that fit the id column: anything else is not an id (and must not reach the database).
    return value.isdigit() and len(value) <= 9


@require_POST
@role_required(Role.COMPLIANCE_ADMIN)
def bulk_assign(request: HttpRequest) -> HttpResponse:
    """A Compliance admin assigns the ticked cases of the queue to one reviewer."""
    ids = [int(pk) for pk in request.POST.getlist("applications")[:500] if _is_id(pk)]
    raw = request.POST.get("reviewer", "")
    reviewer = User.objects.filter(pk=int(raw)).first() if _is_id(raw) else None
    back = request.POST.get("next") or ""
    target = back if back.startswith("/") and not back.startswith("//") else None
    if reviewer is None:
        messages.error(request, "Choose a reviewer.")
        return redirect(target or "licensing:queue")
    applications = list(Application.objects.for_user(request.user).filter(pk__in=ids))
    _attempt(
        request,
        lambda: services.assign_cases(actor=_user(request), applications=applications, reviewer=reviewer),
        success=f"{len(applications)} case(s) assigned to {reviewer.get_username()}.",
    )
    return redirect(target or "licensing:queue")


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
    assessment = assessment_from_post(request.POST, application.items.all())
    try:
        result = services.decide(
            actor=_user(request), application=application, assessment=assessment, **form.cleaned_data
        )
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
    if isinstance(result, SignOff):
        messages.success(
            request, f"{application.reference} approved: the licence issues once another reviewer countersigns."
        )
    else:
        messages.success(request, f"{application.reference}: {result.get_outcome_display().lower()}.")
    return redirect("licensing:detail", pk=pk)


def _review_hit(request: HttpRequest, pk: int, service: Callable[..., Hit], verb: str, **options: Any) -> HttpResponse:
    visible = Hit.objects.filter(party__application__in=Application.objects.for_user(request.user))
    hit = get_object_or_404(visible.select_related("party"), pk=pk)
    form = RationaleForm(request.POST)
    rationale = form.cleaned_data["rationale"] if form.is_valid() else ""
    _attempt(
        request,
        lambda: service(actor=_user(request), hit=hit, rationale=rationale, **options),
        success=f"Hit on {hit.party.name} {verb}.",
        where="hits",
    )
    # Back to the card just reviewed, not the top of a long page.
    return _to_detail(hit.party.application_id, anchor=f"hit-{hit.pk}")


def _to_detail(pk: int, *, anchor: str) -> HttpResponse:
    return redirect(f"{reverse('licensing:detail', args=[pk])}#{anchor}")


@require_POST
@role_required(Role.REVIEWER)
def hits_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Several hits of one request, one verdict, one rationale (the button pressed says which)."""
    application = _visible(request, pk)
    form = RationaleForm(request.POST)
    rationale = form.cleaned_data["rationale"] if form.is_valid() else ""
    verdict = request.POST.get("verdict", "")
    ids = [int(value) for value in request.POST.getlist("hits") if value.isdigit()]
    done = {"clear": "cleared as false positives", "confirm": "confirmed", "acknowledge": "acknowledged"}
    _attempt(
        request,
        lambda: services.review_hits(
            actor=_user(request), application=application, hit_ids=ids, verdict=verdict, rationale=rationale
        ),
        success=f"{len(ids)} hit{'' if len(ids) == 1 else 's'} {done.get(verdict, verdict)}.",
        where="hits",
    )
    return _to_detail(pk, anchor="hits-heading")


@require_POST
@role_required(Role.REVIEWER)
def hit_clear(request: HttpRequest, pk: int) -> HttpResponse:
    form = ClearForm(request.POST)
    remember = bool(form.is_valid() and form.cleaned_data["remember"])
    verb = "cleared as a false positive" + (" and remembered" if remember else "")
    return _review_hit(request, pk, services.clear_hit, verb, remember=remember)


@require_POST
@role_required(Role.REVIEWER)
def hit_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_hit(request, pk, services.confirm_hit, "confirmed")


@require_POST
@role_required(Role.REVIEWER)
def hit_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_hit(request, pk, services.acknowledge_hit, "acknowledged")


CLEARANCE_READERS = (Role.REVIEWER, Role.AUDITOR, Role.COMPLIANCE_ADMIN)


@role_required(*CLEARANCE_READERS)
def clearances(request: HttpRequest) -> HttpResponse:
    """Remembered clearances, searchable by party, entity or case, newest first."""
    form = ClearanceSearchForm(request.GET or None)
    rows = RememberedClearance.objects.all()
    if form.is_valid():
        rows = rows.search(form.cleaned_data["q"]).with_state(form.cleaned_data["state"])
    rows = (
        rows.select_related("entity", "application", "created_by")
        .annotate(cleared_count=Count("cleared_hits", distinct=True))
        .order_by("-created_at", "-pk")
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "licensing/clearances.html", {"form": form, "page": page, "querystring": query.urlencode()})


@role_required(*CLEARANCE_READERS)
def clearance(request: HttpRequest, pk: int) -> HttpResponse:
    """One remembered clearance: its evidence, the hits it cleared and its history."""
    item = get_object_or_404(
        RememberedClearance.objects.select_related("entity", "application", "created_by", "revoked_by"), pk=pk
    )
    uses = (
        Hit.history.filter(cleared_by_id=item.pk)
        .order_by("-history_date")
        .values("id", "party_id", "history_date", "history_change_reason", "status", "history_user__username")[:200]
    )
    hits = (
        Hit.objects.filter(Q(cleared_by=item) | Q(lapsed_clearance=item))
        .select_related("party__application")
        .order_by("-updated_at")
    )
    context = {
        "clearance": item,
        "hits": hits,
        "uses": list(uses),
        "history": item.history.select_related("history_user").order_by("-history_date"),
        "may_revoke": has_role(request.user, Role.COMPLIANCE_ADMIN) and item.revoked_at is None,
        "revoke_form": RevokeForm(),
    }
    return render(request, "licensing/clearance.html", context)


@require_POST
@role_required(Role.COMPLIANCE_ADMIN)
def clearance_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(RememberedClearance, pk=pk)
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        _attempt(
            request,
            lambda: services.revoke_clearance(actor=_user(request), clearance=item, reason=reason),
            success=f"Remembered clearance #{item.pk} revoked; the hits it cleared on open cases are open again.",
        )
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("licensing:clearance", pk=pk)


@role_required(Role.COMPLIANCE_ADMIN, Role.AUDITOR)
def threshold_impact(request: HttpRequest) -> HttpResponse:
    """What a proposed threshold would do to open requests and licences, before it is saved."""
    form = ThresholdPreviewForm(request.GET or None)
    impact = impact_of.preview_threshold(form.cleaned_data["threshold"]) if form.is_valid() else None
    context = {"form": form, "impact": impact, "may_save": has_role(request.user, Role.COMPLIANCE_ADMIN)}
    return render(request, "licensing/threshold_impact.html", context)


@require_POST
@role_required(Role.REVIEWER)
def ask_question(request: HttpRequest, pk: int) -> HttpResponse:
    application = _visible(request, pk)
    form = QuestionForm(request.POST)
    if not form.is_valid():
        _flash_errors(request, form, "Question")
        return redirect("licensing:detail", pk=pk)
    text = form.cleaned_data["text"]
    _attempt(
        request,
        lambda: services.ask_question(actor=_user(request), application=application, text=text),
        success=f"Question sent to {application.applicant.get_username()}; {application.reference} awaits the answer.",
    )
    return redirect("licensing:detail", pk=pk)


def _visible_question(request: HttpRequest, pk: int) -> Question:
    visible = Question.objects.filter(application__in=Application.objects.for_user(request.user))
    return get_object_or_404(visible, pk=pk)


@require_POST
@role_required(Role.SALES)
def reply_question(request: HttpRequest, pk: int) -> HttpResponse:
    question = _visible_question(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        _flash_errors(request, form, "Answer")
        return redirect("licensing:detail", pk=question.application_id)
    _attempt(
        request,
        lambda: services.reply_to_question(
            actor=_user(request),
            question=question,
            text=form.cleaned_data["text"],
            uploads=form.cleaned_data["documents"],
        ),
        success="Answer sent: the request is back with the reviewer.",
    )
    return redirect("licensing:detail", pk=question.application_id)


@require_POST
@role_required(Role.REVIEWER)
def withdraw_question(request: HttpRequest, pk: int) -> HttpResponse:
    question = _visible_question(request, pk)
    form = QuestionWithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    _attempt(
        request,
        lambda: services.withdraw_question(actor=_user(request), question=question, reason=reason),
        success="Question withdrawn.",
    )
    return redirect("licensing:detail", pk=question.application_id)


@require_POST
@role_required(Role.REVIEWER, Role.COMPLIANCE_ADMIN)
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    application = _visible(request, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        _flash_errors(request, form, "Note")
        return redirect("licensing:detail", pk=pk)
    _attempt(
        request,
        lambda: services.add_note(actor=_user(request), application=application, **form.cleaned_data),
        success="Note added.",
    )
    return redirect("licensing:detail", pk=pk)


@require_POST
@role_required(Role.REVIEWER)
def hit_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_hit(request, pk, services.reverse_hit_confirmation, "no longer confirmed (reversed)")


@require_POST
@role_required(Role.REVIEWER)
def countersign(request: HttpRequest, pk: int) -> HttpResponse:
    application = _visible(request, pk)
    form = CountersignForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose agree or disagree.")
        return redirect("licensing:detail", pk=pk)
    agree = form.cleaned_data["verdict"] == "agree"
    _attempt(
        request,
        lambda: services.countersign(
            actor=_user(request), application=application, agree=agree, reason=form.cleaned_data["reason"]
        ),
        success="Countersigned: the licence is issued." if agree else "Sent back to the decider.",
    )
    return redirect("licensing:detail", pk=pk)


@role_required(*READ_ALL)
def sign_off_rules(request: HttpRequest) -> HttpResponse:
    """The second sign-off rules: every reader sees them, Compliance admins change them."""
    may_change = has_role(request.user, Role.COMPLIANCE_ADMIN)
    if request.method == "POST" and not may_change:
        raise PermissionDenied("Only Compliance admins change the second sign-off rules.")
    policy = SignOffPolicy.load()
    form = SignOffPolicyForm(request.POST if request.method == "POST" else None, instance=policy)
    if request.method == "POST" and form.is_valid():
        done = _attempt(
            request,
            lambda: services.update_sign_off_policy(
                actor=_user(request),
                on_denial_override=form.cleaned_data["on_denial_override"],
                on_confirmed_hit=form.cleaned_data["on_confirmed_hit"],
                value_threshold=form.cleaned_data["value_threshold"],
                reason=form.cleaned_data["reason"],
            ),
            success="Second sign-off rules saved.",
        )
        if done:
            return redirect("licensing:sign_off_rules")
    history = policy.history.select_related("history_user").order_by("-history_date")[:50]
    return render(
        request, "licensing/sign_off_rules.html", {"form": form, "may_change": may_change, "history": history}
    )


@role_required(Role.COMPLIANCE_ADMIN, Role.AUDITOR)
def country_chart(request: HttpRequest) -> HttpResponse:
    """The Commerce Country Chart in force, every load of it, and (admins) loading a newer one."""
    may_load = has_role(request.user, Role.COMPLIANCE_ADMIN)
    if request.method == "POST":
        if not may_load:
            raise PermissionDenied("Only Compliance admins load the country chart.")
        upload = request.FILES.get("file")
        if upload is None or (upload.size or 0) > CHART_UPLOAD_MAX_BYTES:
            messages.error(request, "Choose the chart file (the matrix CSV or the JSON parse, at most 1 MB).")
            return redirect("licensing:country_chart")
        try:
            rows = read_chart(upload.read().decode("utf-8-sig"), name=upload.name or "chart.csv")
        except (ChartFormatError, UnicodeDecodeError) as exc:
            messages.error(request, f"Nothing was loaded: {exc}")
            return redirect("licensing:country_chart")
        added, changed = load_chart(actor=_user(request), rows=rows, source=upload.name or "upload")
        messages.success(
            request,
            f"Country chart loaded from {upload.name}: {len(rows)} countries, {added} added, {changed} changed.",
        )
        return redirect("licensing:country_chart")
    loads = (
        CountryChart.history.values("history_change_reason", "history_user__username", "source")  # type: ignore[attr-defined]
        .annotate(at=Max("history_date"), rows=Count("history_id"))
        .order_by("-at")[:20]
    )
    charts = CountryChart.objects.all()
    return render(
        request,
        "licensing/country_chart.html",
        {"charts": charts, "loads": loads, "may_load": may_load, "shipped_date": SHIPPED_DATE},
    )


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
