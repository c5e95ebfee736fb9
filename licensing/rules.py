"""Who may do what to a licence request: each rule written once, for the services to enforce.

Pages and the API call services; services call these. A refusal is PermissionDenied with a
message a user can read (a 403 on pages and in the API).
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from lib.roles import Role, has_role
from lib.users import SYSTEM_USERNAME
from licensing.models import Application


def require_sales_owner(actor: User, application: Application) -> None:
    """Only the salesperson who filed a request changes it (drafts, documents, withdrawal)."""
    if not has_role(actor, Role.SALES) or application.applicant_id != actor.pk:
        raise PermissionDenied("Only the Sales user who filed this request can change it.")


def require_applicant(actor: User, application: Application, *, doing: str) -> None:
    """The applicant's side of the conversation is the salesperson who filed the request.

    Clearance has no sales teams: another Sales user neither sees nor answers the request.
    """
    if not has_role(actor, Role.SALES) or application.applicant_id != actor.pk:
        raise PermissionDenied(f"Only the Sales user who filed this request can {doing}.")


def require_reviewer(actor: User, application: Application, *, doing: str) -> None:
    """Reviewers review, never a request they filed themselves (segregation of duties).

    The one rule for taking, deciding and reviewing the hits of a request.
    """
    if not has_role(actor, Role.REVIEWER):
        raise PermissionDenied(f"Only reviewers can {doing} requests.")
    if application.applicant_id == actor.pk:
        raise PermissionDenied(f"You filed this request, so you cannot {doing} it (segregation of duties).")


def may_flag(actor: User) -> bool:
    """Reviewers, and the system account re-screening acts as, put cases on hold."""
    return has_role(actor, Role.REVIEWER) or actor.get_username() == SYSTEM_USERNAME


def require_licence_officer(actor: User, application: Application, *, doing: str) -> None:
    """Reviewers and Compliance admins act on issued licences (release, suspend, reinstate, revoke),
    never on one issued on a request they filed themselves (segregation of duties)."""
    if not has_role(actor, Role.REVIEWER, Role.COMPLIANCE_ADMIN):
        raise PermissionDenied(f"Only reviewers and Compliance admins can {doing} licences.")
    if application.applicant_id == actor.pk:
        raise PermissionDenied(f"You filed this request, so you cannot {doing} its licence (segregation of duties).")


def require_shipper(actor: User, application: Application) -> None:
    """Shipments are recorded by the Sales user who holds the licence (who filed its request)."""
    if not has_role(actor, Role.SALES) or application.applicant_id != actor.pk:
        raise PermissionDenied("Only the Sales user who holds this licence can record shipments against it.")


def require_reverser(actor: User, application: Application) -> None:
    """The licence holder undoes their own mistaken shipment; a Compliance admin may too."""
    owner = has_role(actor, Role.SALES) and application.applicant_id == actor.pk
    if not owner and not has_role(actor, Role.COMPLIANCE_ADMIN):
        raise PermissionDenied("Only the licence holder or a Compliance admin can reverse a shipment.")
