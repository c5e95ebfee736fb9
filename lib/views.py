from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lib.auth import may_manage_tokens_of, revoke_tokens, token_lifetime, tokens_visible_to
from lib.dashboard import build_dashboard


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("dashboard")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """One page per person: what their role works on, drawn from aggregate queries."""
    board = build_dashboard(request.user)
    return render(request, "dashboard.html", {"board": board, "cache_seconds": settings.DASHBOARD_CACHE_SECONDS})


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """The API tokens a user may revoke: their own; a Compliance admin sees everyone's."""
    return render(
        request, "registration/tokens.html", {"tokens": tokens_visible_to(request.user), "lifetime": token_lifetime()}
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, user_id: int) -> HttpResponse:
    if not may_manage_tokens_of(request.user, user_id):
        raise Http404
    if revoke_tokens(actor=request.user, user_id=user_id, reason="revoked on the tokens page"):
        messages.success(request, "Token revoked: scripts using it must ask for a new one.")
    else:
        messages.info(request, "There was no token to revoke.")
    return redirect("tokens")
