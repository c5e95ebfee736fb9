"""Licence-request API: thin views that parse input, call licensing.services, and serialise.

Refusals are mapped one way everywhere: bad input 400 (field messages), a role or duty rule 403,
someone else's request 404, an illegal status move (or a request already decided) 409.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from entities.models import Entity
from lib.drf import acting_user
from lib.permissions import HasRole
from lib.roles import Role
from licensing import export_checks, impact, licences, services
from licensing.filters import ApplicationFilter
from licensing.models import (
    Application,
    ApplicationQuerySet,
    CaseNote,
    Document,
    ExportCheck,
    Hit,
    Licence,
    Question,
    RememberedClearance,
    Shipment,
    SignOff,
    SignOffPolicy,
    sees_internal,
)
from licensing.serializers import (
    ApplicationSerializer,
    ApplicationWriteSerializer,
    AssignCasesSerializer,
    BulkLicenceActionSerializer,
    CaseNoteSerializer,
    ClearInputSerializer,
    CountersignInputSerializer,
    DecisionInputSerializer,
    DocumentSerializer,
    DocumentUploadSerializer,
    ExportCheckInputSerializer,
    ExportCheckSerializer,
    HitSerializer,
    LicenceDetailSerializer,
    NoteInputSerializer,
    QuestionInputSerializer,
    QuestionSerializer,
    QuestionWithdrawSerializer,
    RationaleSerializer,
    ReasonSerializer,
    RememberedClearanceSerializer,
    ReplyInputSerializer,
    RevokeInputSerializer,
    ShipmentInputSerializer,
    ShipmentSerializer,
    SignOffPolicySerializer,
    TimelineEventSerializer,
    WithdrawSerializer,
)
from licensing.status import LicenceAction
from licensing.timeline import build_timeline

T = TypeVar("T")


def visible_applications(request: Request) -> ApplicationQuerySet:
    return Application.objects.for_user(request.user).select_related("applicant", "assigned_to")


class ApplicationAPIView(APIView):
    """An API view about one request the user may see."""

    def get_application(self, pk: int) -> Application:
        # Someone else's id is simply not found: it reveals nothing and changes nothing.
        return get_object_or_404(visible_applications(self.request), pk=pk)

    def represent(self, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The request as the API shows it, embedded rows loaded in a fixed number of queries."""
        application = get_object_or_404(with_embedded(visible_applications(self.request)), pk=pk)
        return Response(ApplicationSerializer(application).data, status=status_code)


def with_embedded(queryset: QuerySet[Application]) -> QuerySet[Application]:
    """Load everything ApplicationSerializer embeds in a fixed number of queries."""
    hits = Hit.objects.select_related("party", "entity", "reviewed_by")
    documents = Document.objects.select_related("uploaded_by")
    return queryset.select_related("decision__decided_by", "decision__countersigned_by", "licence").prefetch_related(
        "parties",
        Prefetch("parties__hits", queryset=hits),
        "items",
        Prefetch("documents", queryset=documents),
        Prefetch("questions", queryset=questions_with_documents()),
        Prefetch("sign_offs", queryset=SignOff.objects.select_related("proposed_by", "countersigned_by")),
    )


def questions_with_documents() -> QuerySet[Question]:
    documents = Document.objects.select_related("uploaded_by")
    return Question.objects.select_related("asked_by", "replied_by").prefetch_related(
        Prefetch("documents", queryset=documents)
    )


class ApplicationListView(generics.ListCreateAPIView[Application]):
    """GET: the requests you may see (Sales: your own), filterable; POST: file a draft (Sales)."""

    permission_classes = [HasRole]
    write_roles = (Role.SALES,)
    filterset_class = ApplicationFilter
    serializer_class = ApplicationSerializer

    def get_queryset(self) -> QuerySet[Application]:
        # The hit counts are for the filters and the ordering (open hits first), not the rows.
        return with_embedded(visible_applications(self.request).with_hit_counts())

    @extend_schema(request=ApplicationWriteSerializer, responses={201: ApplicationSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ApplicationWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.create_application(actor=acting_user(request), data=data.to_data())
        return Response(ApplicationSerializer(result).data, status=status.HTTP_201_CREATED)


class ApplicationDetailView(ApplicationAPIView):
    """GET a request with its parties, items, hits, decision and licence; PATCH a draft (its applicant)."""

    permission_classes = [HasRole]
    write_roles = (Role.SALES,)

    @extend_schema(responses=ApplicationSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return self.represent(pk)

    @extend_schema(request=ApplicationWriteSerializer, responses=ApplicationSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        application = self.get_application(pk)
        data = ApplicationWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.update_draft(actor=acting_user(request), application=application, data=data.to_data(application))
        return self.represent(pk)


class SubmitView(ApplicationAPIView):
    """Submit a draft: every party is screened and the licence determination is made."""

    permission_classes = [HasRole]
    write_roles = (Role.SALES,)

    @extend_schema(request=None, responses=ApplicationSerializer)
    def post(self, request: Request, pk: int) -> Response:
        services.submit(actor=acting_user(request), application=self.get_application(pk))
        return self.represent(pk)


class CopyView(ApplicationAPIView):
    """Start a new draft from a request you may read: its header, parties and items."""

    permission_classes = [HasRole]
    write_roles = (Role.SALES,)

    @extend_schema(request=None, responses={201: ApplicationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        draft = services.copy_application(actor=acting_user(request), source=self.get_application(pk))
        return self.represent(draft.pk, status_code=status.HTTP_201_CREATED)


class WithdrawView(ApplicationAPIView):
    permission_classes = [HasRole]
    write_roles = (Role.SALES,)

    @extend_schema(request=WithdrawSerializer, responses=ApplicationSerializer)
    def post(self, request: Request, pk: int) -> Response:
        body = WithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        application = self.get_application(pk)
        services.withdraw(actor=acting_user(request), application=application, reason=body.validated_data["reason"])
        return self.represent(pk)


class AssignView(ApplicationAPIView):
    """A reviewer assigns the request to themselves."""

    permission_classes = [HasRole]
    write_roles = (Role.REVIEWER,)

    @extend_schema(request=None, responses=ApplicationSerializer)
    def post(self, request: Request, pk: int) -> Response:
        services.assign(actor=acting_user(request), application=self.get_application(pk))
        return self.represent(pk)


class DecisionView(ApplicationAPIView):
    """Approve (optionally with conditions), deny or return; a rationale is always required."""

    permission_classes = [HasRole]
    write_roles = (Role.REVIEWER,)

    @extend_schema(request=DecisionInputSerializer, responses={201: ApplicationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        body = DecisionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.decide(actor=acting_user(request), application=self.get_application(pk), **body.validated_data)
        return self.represent(pk, status_code=status.HTTP_201_CREATED)


class HistoryView(ApplicationAPIView):
    """Everything that happened to the request, oldest first: who, when, what, why."""

    permission_classes = [HasRole]

    @extend_schema(responses=TimelineEventSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        events = build_timeline(self.get_application(pk), internal=sees_internal(request.user))
        return Response([event.as_dict() for event in events])


class DocumentListView(ApplicationAPIView):
    """GET the request's supporting documents; POST one (multipart, field `file`) to a draft (its applicant)."""

    permission_classes = [HasRole]
    write_roles = (Role.SALES,)
    # A document arrives as a file, the way the browser form sends it; nothing else is parsed.
    parser_classes = [MultiPartParser]

    @extend_schema(summary="The request's supporting documents", responses=DocumentSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        documents = self.get_application(pk).documents.select_related("uploaded_by")
        return Response(DocumentSerializer(documents, many=True).data)

    @extend_schema(
        summary="Attach a document to a draft (its applicant; multipart, field `file`)",
        request=DocumentUploadSerializer,
        responses={201: DocumentSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        # Look the request up before reading the body: someone else's id is a 404 whatever is sent.
        application = self.get_application(pk)
        body = DocumentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.add_document(
            actor=acting_user(request), application=application, upload=body.validated_data["file"]
        )
        return Response(DocumentSerializer(result).data, status=status.HTTP_201_CREATED)


class DocumentView(ApplicationAPIView):
    """GET the file of one document (anyone who may read the request); DELETE it from a draft (its applicant)."""

    permission_classes = [HasRole]
    write_roles = (Role.SALES,)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The file is not rendered by DRF, so a client asking for `application/octet-stream`
        # must not be refused with 406; refusals (404 and the like) still come back as JSON.
        return super().perform_content_negotiation(request, force=True)

    def get_document(self, pk: int, doc: int) -> Document:
        return get_object_or_404(Document, pk=doc, application=self.get_application(pk))

    @extend_schema(
        summary="Download a document's file", responses={(200, "application/octet-stream"): OpenApiTypes.BINARY}
    )
    def get(self, request: Request, pk: int, doc: int) -> FileResponse:
        document = self.get_document(pk, doc)
        # Always a download of opaque bytes: the stored content type is what the uploader claimed.
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.name,
            content_type="application/octet-stream",
        )

    @extend_schema(summary="Remove a document from a draft (its applicant)", responses={204: None})
    def delete(self, request: Request, pk: int, doc: int) -> Response:
        services.remove_document(actor=acting_user(request), document=self.get_document(pk, doc))
        return Response(status=status.HTTP_204_NO_CONTENT)


class HitReviewView(APIView):
    permission_classes = [HasRole]
    write_roles = (Role.REVIEWER,)
    service: Callable[..., Hit] = staticmethod(services.clear_hit)

    @extend_schema(request=RationaleSerializer, responses=HitSerializer)
    def post(self, request: Request, pk: int) -> Response:
        body = RationaleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        visible = Hit.objects.filter(party__application__in=Application.objects.for_user(request.user))
        hit = get_object_or_404(visible, pk=pk)
        type(self).service(actor=acting_user(request), hit=hit, rationale=body.validated_data["rationale"])
        return Response(HitSerializer(Hit.objects.select_related("party", "entity", "reviewed_by").get(pk=pk)).data)


class HitClearView(HitReviewView):
    """Clear a hit as a false positive, with a rationale; `remember` keeps it for later hits of the party."""

    service = staticmethod(services.clear_hit)

    @extend_schema(request=ClearInputSerializer, responses=HitSerializer)
    def post(self, request: Request, pk: int) -> Response:
        body = ClearInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        visible = Hit.objects.filter(party__application__in=Application.objects.for_user(request.user))
        hit = get_object_or_404(visible, pk=pk)
        services.clear_hit(actor=acting_user(request), hit=hit, **body.validated_data)
        return Response(HitSerializer(Hit.objects.select_related("party", "entity", "reviewed_by").get(pk=pk)).data)


class HitConfirmView(HitReviewView):
    """Confirm a hit (the party is the listed entity), with a rationale."""

    service = staticmethod(services.confirm_hit)


class HitAcknowledgeView(HitReviewView):
    """Acknowledge a hit a list change resolved (entity delisted, or no longer matching), with a rationale."""

    service = staticmethod(services.acknowledge_hit)


CLEARANCE_READERS = (Role.REVIEWER, Role.AUDITOR, Role.COMPLIANCE_ADMIN)


def _clearances(rows: QuerySet[RememberedClearance] | None = None) -> QuerySet[RememberedClearance]:
    rows = RememberedClearance.objects.all() if rows is None else rows
    return rows.select_related("entity", "application", "created_by", "revoked_by").prefetch_related(
        Prefetch("cleared_hits", queryset=Hit.objects.only("pk", "cleared_by_id"))
    )


class ClearanceListView(generics.ListAPIView[RememberedClearance]):
    """GET remembered clearances, newest first; `?q=` searches party, entity and case, `?state=` filters
    (in_force, due, revoked)."""

    permission_classes = [HasRole]
    read_roles = CLEARANCE_READERS
    serializer_class = RememberedClearanceSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Party name, entity name or case reference contains."),
            OpenApiParameter("state", str, enum=[s.value for s in RememberedClearance.State]),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[RememberedClearance]:
        params = self.request.query_params
        rows = RememberedClearance.objects.search(params.get("q", "")[:200]).with_state(params.get("state", ""))
        return _clearances(rows)


class ClearanceDetailView(APIView):
    """GET one remembered clearance with its evidence and the hits it clears."""

    permission_classes = [HasRole]
    read_roles = CLEARANCE_READERS

    @extend_schema(responses=RememberedClearanceSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(RememberedClearanceSerializer(get_object_or_404(_clearances(), pk=pk)).data)


class ClearanceRevokeView(APIView):
    """Revoke a remembered clearance (Compliance admins, with a reason): the hits it cleared on open
    cases open again. 409 if it was already revoked."""

    permission_classes = [HasRole]
    write_roles = (Role.COMPLIANCE_ADMIN,)

    @extend_schema(request=RevokeInputSerializer, responses=RememberedClearanceSerializer)
    def post(self, request: Request, pk: int) -> Response:
        body = RevokeInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        clearance = get_object_or_404(RememberedClearance, pk=pk)
        services.revoke_clearance(actor=acting_user(request), clearance=clearance, reason=body.validated_data["reason"])
        return Response(RememberedClearanceSerializer(get_object_or_404(_clearances(), pk=pk)).data)


class ThresholdImpactView(APIView):
    """GET ?threshold=0.75: what that threshold would do to open requests and licences in force,
    before it is saved (Compliance admins and auditors). Changes nothing."""

    permission_classes = [HasRole]
    read_roles = (Role.COMPLIANCE_ADMIN, Role.AUDITOR)

    @extend_schema(parameters=[OpenApiParameter("threshold", float, required=True)], responses={200: dict})
    def get(self, request: Request) -> Response:
        try:
            threshold = float(request.query_params.get("threshold", ""))
            return Response(impact.preview_threshold(threshold).as_dict())
        except ValueError:
            return Response({"threshold": ["Give a score between 0 and 1."]}, status=status.HTTP_400_BAD_REQUEST)


def visible_question(request: Request, pk: int) -> Question:
    """A question on a request the user may read; any other id is not found."""
    visible = Question.objects.filter(application__in=Application.objects.for_user(request.user))
    return get_object_or_404(visible, pk=pk)


class QuestionListView(ApplicationAPIView):
    """GET the questions asked on a request and their replies; POST a new one (a reviewer)."""

    permission_classes = [HasRole]
    write_roles = (Role.REVIEWER,)

    @extend_schema(summary="Questions to the applicant and their replies", responses=QuestionSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        questions = questions_with_documents().filter(application=self.get_application(pk))
        return Response(QuestionSerializer(questions, many=True).data)

    @extend_schema(
        summary="Ask the applicant a question (the request then awaits the applicant)",
        request=QuestionInputSerializer,
        responses={201: QuestionSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        application = self.get_application(pk)
        body = QuestionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        question = services.ask_question(
            actor=acting_user(request), application=application, text=body.validated_data["text"]
        )
        return Response(
            QuestionSerializer(questions_with_documents().get(pk=question.pk)).data, status=status.HTTP_201_CREATED
        )


class QuestionReplyView(APIView):
    """The applicant answers a question: `text`, and optional documents as `files` (multipart)."""

    permission_classes = [HasRole]
    write_roles = (Role.SALES,)
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        summary="Answer a question (the applicant who filed the request)",
        request={"multipart/form-data": ReplyInputSerializer, "application/json": ReplyInputSerializer},
        responses=QuestionSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        question = visible_question(request, pk)
        body = ReplyInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.reply_to_question(
            actor=acting_user(request),
            question=question,
            text=body.validated_data["text"],
            uploads=body.validated_data["files"],
        )
        return Response(QuestionSerializer(questions_with_documents().get(pk=pk)).data)


class QuestionWithdrawView(APIView):
    """A reviewer withdraws an open question whose answer is no longer needed, with a reason."""

    permission_classes = [HasRole]
    write_roles = (Role.REVIEWER,)

    @extend_schema(
        summary="Withdraw an open question", request=QuestionWithdrawSerializer, responses=QuestionSerializer
    )
    def post(self, request: Request, pk: int) -> Response:
        question = visible_question(request, pk)
        body = QuestionWithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.withdraw_question(actor=acting_user(request), question=question, reason=body.validated_data["reason"])
        return Response(QuestionSerializer(questions_with_documents().get(pk=pk)).data)


class NoteListView(ApplicationAPIView):
    """GET the case notes you may read (the applicant: shared ones only); POST a note (reviewers, admins)."""

    permission_classes = [HasRole]
    write_roles = (Role.REVIEWER, Role.COMPLIANCE_ADMIN)

    @extend_schema(summary="Case notes", responses=CaseNoteSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        notes = (
            CaseNote.objects.visible_to(request.user)
            .filter(application=self.get_application(pk))
            .select_related("author")
            .prefetch_related("mentioned")
        )
        return Response(CaseNoteSerializer(notes, many=True).data)

    @extend_schema(summary="Add a note (append-only)", request=NoteInputSerializer, responses={201: CaseNoteSerializer})
    def post(self, request: Request, pk: int) -> Response:
        application = self.get_application(pk)
        body = NoteInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        note = services.add_note(actor=acting_user(request), application=application, **body.validated_data)
        return Response(CaseNoteSerializer(note).data, status=status.HTTP_201_CREATED)


class HitReverseView(HitReviewView):
    """Reverse a confirmed hit (a reviewer other than the one who confirmed it), with a rationale."""

    service = staticmethod(services.reverse_hit_confirmation)


class CountersignView(ApplicationAPIView):
    """A second reviewer agrees with an approval awaiting countersignature, or sends it back with a reason."""

    permission_classes = [HasRole]
    write_roles = (Role.REVIEWER,)

    @extend_schema(request=CountersignInputSerializer, responses=ApplicationSerializer)
    def post(self, request: Request, pk: int) -> Response:
        application = self.get_application(pk)
        body = CountersignInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.countersign(actor=acting_user(request), application=application, **body.validated_data)
        return self.represent(pk)


class SignOffPolicyView(APIView):
    """GET when approvals need a second sign-off (reviewers, admins, auditors); PATCH (Compliance admins)."""

    permission_classes = [HasRole]
    read_roles = (Role.REVIEWER, Role.COMPLIANCE_ADMIN, Role.AUDITOR)
    write_roles = (Role.COMPLIANCE_ADMIN,)

    @extend_schema(responses=SignOffPolicySerializer)
    def get(self, request: Request) -> Response:
        return Response(SignOffPolicySerializer(SignOffPolicy.load()).data)

    @extend_schema(request=SignOffPolicySerializer, responses=SignOffPolicySerializer)
    def patch(self, request: Request) -> Response:
        current = SignOffPolicy.load()
        body = SignOffPolicySerializer(current, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        policy = services.update_sign_off_policy(
            actor=acting_user(request),
            on_denial_override=data.get("on_denial_override", current.on_denial_override),
            on_confirmed_hit=data.get("on_confirmed_hit", current.on_confirmed_hit),
            value_threshold=data.get("value_threshold", current.value_threshold),
            reason=data.get("reason", ""),
        )
        return Response(SignOffPolicySerializer(policy).data)


class AssignCasesView(APIView):
    """A Compliance admin assigns (or reassigns) one or many cases to a reviewer, all or none."""

    permission_classes = [HasRole]
    write_roles = (Role.COMPLIANCE_ADMIN,)

    @extend_schema(
        operation_id="v1_applications_assign_many",
        request=AssignCasesSerializer,
        responses=ApplicationSerializer(many=True),
    )
    def post(self, request: Request) -> Response:
        body = AssignCasesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = body.validated_data["applications"]
        applications = list(visible_applications(request).filter(pk__in=ids))
        if len(applications) != len(set(ids)):
            raise NotFound("Some of these requests do not exist.")
        reviewer = User.objects.filter(username=body.validated_data["reviewer"]).first()
        if reviewer is None:
            raise ValidationError({"reviewer": ["No such user."]})
        services.assign_cases(actor=acting_user(request), applications=applications, reviewer=reviewer)
        assigned = with_embedded(visible_applications(request).filter(pk__in=ids)).order_by("pk")
        return Response(ApplicationSerializer(assigned, many=True).data)


def visible_licences(request: Request) -> QuerySet[Licence]:
    return Licence.objects.filter(application__in=Application.objects.for_user(request.user)).select_related(
        "application__applicant"
    )


class LicenceListView(generics.ListAPIView[Licence]):
    """The licences you may see (Sales: your own), with their balances."""

    permission_classes = [HasRole]
    serializer_class = LicenceDetailSerializer

    def get_queryset(self) -> QuerySet[Licence]:
        return visible_licences(self.request).order_by("-issued_at", "-id")


class LicenceAPIView(APIView):
    def get_licence(self, pk: int) -> Licence:
        return get_object_or_404(visible_licences(self.request), pk=pk)

    def represent(self, pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(LicenceDetailSerializer(self.get_licence(pk)).data, status=status_code)


class LicenceDetailView(LicenceAPIView):
    """A licence: its status and why, and per licensed line what is licensed, shipped and remaining."""

    permission_classes = [HasRole]

    @extend_schema(responses=LicenceDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return self.represent(pk)


class LicenceActionView(LicenceAPIView):
    permission_classes = [HasRole]
    write_roles = (Role.REVIEWER, Role.COMPLIANCE_ADMIN)
    action = LicenceAction.RELEASE

    @extend_schema(request=ReasonSerializer, responses=LicenceDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        licence = self.get_licence(pk)
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        licences.act(
            actor=acting_user(request), licence=licence, action=self.action, reason=body.validated_data["reason"]
        )
        return self.represent(pk)


class LicenceReleaseView(LicenceActionView):
    """Release a held licence, with a reason, once every hit on its parties is reviewed (409 before)."""

    action = LicenceAction.RELEASE


class LicenceSuspendView(LicenceActionView):
    """Suspend an active licence, with a reason: nothing ships under it until it is reinstated."""

    action = LicenceAction.SUSPEND


class LicenceReinstateView(LicenceActionView):
    """Reinstate a suspended licence, with a reason."""

    action = LicenceAction.REINSTATE


class LicenceRevokeView(LicenceActionView):
    """Revoke a licence, with a reason. Final."""

    action = LicenceAction.REVOKE


class LicenceShipmentsView(LicenceAPIView):
    """GET the licence's ledger (shipments and reversals); POST a shipment (the licence holder).

    A refused shipment records nothing: 409 when the licence is not active, 400 naming the field
    otherwise (more than remains on a line, a consignee or item not on the licence, a date outside
    the validity).
    """

    permission_classes = [HasRole]
    write_roles = (Role.SALES,)

    @extend_schema(responses=ShipmentSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        shipments = self.get_licence(pk).shipments.select_related("recorded_by").prefetch_related("lines")
        return Response(ShipmentSerializer(shipments, many=True).data)

    @extend_schema(request=ShipmentInputSerializer, responses={201: ShipmentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        licence = self.get_licence(pk)
        body = ShipmentInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        shipment = licences.record_shipment(actor=acting_user(request), licence=licence, data=body.to_data())
        return Response(ShipmentSerializer(shipment).data, status=status.HTTP_201_CREATED)


class ShipmentReverseView(APIView):
    """Undo a mistaken shipment with a reversal entry, with a reason (the licence holder or a Compliance admin)."""

    permission_classes = [HasRole]
    write_roles = (Role.SALES, Role.COMPLIANCE_ADMIN)

    @extend_schema(request=ReasonSerializer, responses={201: ShipmentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        visible = Shipment.objects.filter(licence__in=visible_licences(request))
        shipment = get_object_or_404(visible, pk=pk)
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reversal = licences.reverse_shipment(
            actor=acting_user(request), shipment=shipment, reason=body.validated_data["reason"]
        )
        return Response(ShipmentSerializer(reversal).data, status=status.HTTP_201_CREATED)


class ExportCheckView(generics.ListAPIView[ExportCheck]):
    """POST: an order system asks whether an order may leave (Integration accounts only).

    Allowed or blocked, with every reason: screening hits against the current list version (with
    the explanation), the licence's state and remaining balance, or with no licence the licence
    determination. With `record=true` and an `Idempotency-Key` header an allowed check also records
    the shipment; a retry with the same key returns the first answer and never ships twice.

    GET: the log of checks, newest first, searchable (`q`: licence number, reference, party name;
    `allowed`: true or false) by Compliance admins and auditors.
    """

    permission_classes = [HasRole]
    machine_roles_allowed = True
    read_roles = (Role.COMPLIANCE_ADMIN, Role.AUDITOR)
    write_roles = (Role.INTEGRATION,)
    serializer_class = ExportCheckSerializer
    filter_backends: list[type] = []

    def get_queryset(self) -> QuerySet[ExportCheck]:
        checks = ExportCheck.objects.select_related("requested_by").search(self.request.query_params.get("q", ""))
        allowed = self.request.query_params.get("allowed", "").lower()
        if allowed in {"true", "false"}:
            checks = checks.filter(allowed=allowed == "true")
        return checks

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Licence number, reference, consignee or end user contains"),
            OpenApiParameter("allowed", bool, description="Only allowed (true) or blocked (false) checks"),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ExportCheckInputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                location=OpenApiParameter.HEADER,
                required=False,
                description="Needed with record=true; a retry with the same key gets the first answer back.",
            )
        ],
        responses={200: ExportCheckSerializer},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = ExportCheckInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        logged, replayed = export_checks.check(
            actor=acting_user(request),
            request=body.to_request(),
            idempotency_key=request.headers.get("Idempotency-Key", "")[:255],
        )
        response = Response(ExportCheckSerializer(logged).data)
        response["Idempotent-Replayed"] = "true" if replayed else "false"
        return response


class EntityLicencesView(APIView):
    """GET: preview the licences a bulk action on an entity would take (`action`: suspend or revoke).

    POST: suspend or revoke them all with one reason, sending the ids previewed; if the set changed
    since, nothing is done (409) and the new preview is to be fetched. Compliance admins only.
    """

    permission_classes = [HasRole]
    read_roles = (Role.COMPLIANCE_ADMIN,)
    write_roles = (Role.COMPLIANCE_ADMIN,)

    @extend_schema(
        parameters=[OpenApiParameter("action", str, enum=list(licences.BULK_ACTIONS), required=True)],
        responses=LicenceDetailSerializer(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        entity = get_object_or_404(Entity, pk=pk)
        action = request.query_params.get("action", "")
        if action not in licences.BULK_ACTIONS:
            raise ValidationError({"action": "Choose suspend or revoke."})
        return Response(LicenceDetailSerializer(licences.touching_entity(entity.pk, action), many=True).data)

    @extend_schema(request=BulkLicenceActionSerializer, responses=LicenceDetailSerializer(many=True))
    def post(self, request: Request, pk: int) -> Response:
        entity = get_object_or_404(Entity, pk=pk)
        body = BulkLicenceActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = licences.act_on_entity(
            actor=acting_user(request),
            entity_id=entity.pk,
            action=body.validated_data["action"],
            reason=body.validated_data["reason"],
            expected=body.validated_data["licences"],
        )
        return Response(LicenceDetailSerializer(done, many=True).data)


class LicenceAmendView(LicenceAPIView):
    """The licence holder asks for an amendment: returns a new draft request linked to the licence,
    a copy of the licensed one, to PATCH (quantities, values, parties, `requested_valid_until`) and submit."""

    permission_classes = [HasRole]
    write_roles = (Role.SALES,)

    @extend_schema(request=None, responses={201: ApplicationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        amendment = services.request_amendment(actor=acting_user(request), licence=self.get_licence(pk))
        application = get_object_or_404(with_embedded(visible_applications(request)), pk=amendment.pk)
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)
