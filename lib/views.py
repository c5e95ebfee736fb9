from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from lib.dashboard import build_dashboard


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("dashboard")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """One page per person: what their role works on, drawn from aggregate queries."""
    board = build_dashboard(request.user)
    return render(request, "dashboard.html", {"board": board, "cache_seconds": settings.DASHBOARD_CACHE_SECONDS})
