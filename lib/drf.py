"""How every API endpoint answers a refusal, so views call services and never translate errors.

A Django ValidationError from a service is a 400 with field messages (as DRF's own), a Conflict
(an illegal status move, a request already decided) a 409 with its message, PermissionDenied a
403 (DRF's own), someone else's record a 404 (the views look records up through what the user
may read).
"""

from __future__ import annotations

from typing import IO, Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser
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


# No request body of this API nests deeper than a few levels (a request, its parties, a field's
# list); a body nested thousands deep is an attack on the parser, not a request.
MAX_JSON_DEPTH = 32


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value, counted without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser, answering a body nested too deeply with a 400 instead of a
    RecursionError (a 500): Python's json module recurses once per level."""

    def parse(self, stream: IO[Any], media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep.") from None
        if _depth(data) > MAX_JSON_DEPTH:
            raise ParseError(f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep.")
        return data
