"""How every API endpoint answers a refusal, so views call services and never translate errors.

A Django ValidationError from a service is a 400 with field messages (as DRF's own), a Conflict
(an illegal status move, a request already decided) a 409 with its message, PermissionDenied a
403 (DRF's own), someone else's record a 404 (the views look records up through what the user
may read).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from lib.errors import Conflict


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Conflict):
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
    return drf_exception_handler(exc, context)


def acting_user(request: Request) -> User:
    """The signed-in user a service acts as; every view that writes requires authentication."""
    user = request.user
    assert isinstance(user, User), "authenticated views only"
    return user
