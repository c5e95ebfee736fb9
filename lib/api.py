from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lib.auth import may_manage_tokens_of, obtain_token, revoke_tokens, tokens_visible_to


class TokenRequestSerializer(AuthTokenSerializer):
    """DRF's token request, with the user model's length limit on the username.

    Without it a very long username reaches authentication, and the lockout log (django-axes)
    fails to store it: a 500 instead of a 400.
    """

    username = serializers.CharField(label="Username", max_length=150, write_only=True)
    password = serializers.CharField(
        label="Password", style={"input_type": "password"}, trim_whitespace=False, max_length=4096, write_only=True
    )


class ObtainTokenView(APIView):
    """POST username and password, receive the API token for that user.

    The same token until it expires or the password changes; then a new one.
    """

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token = obtain_token(serializer.validated_data["user"])
        return Response({"token": token.key})


class TokenInfoSerializer(serializers.Serializer[Any]):
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    created = serializers.DateTimeField()
    expires = serializers.DateTimeField()
    expired = serializers.BooleanField()
    key_hint = serializers.CharField(help_text="The key's first characters, to tell tokens apart; never the key.")


class TokenListView(APIView):
    """GET the API tokens you may manage: your own; a Compliance admin sees everyone's."""

    @extend_schema(responses={200: TokenInfoSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(TokenInfoSerializer(tokens_visible_to(request.user), many=True).data)


class TokenRevokeView(APIView):
    """DELETE a user's API token (by user id): your own, or anyone's for a Compliance admin."""

    @extend_schema(responses={204: None})
    def delete(self, request: Request, user_id: int) -> Response:
        if not may_manage_tokens_of(request.user, user_id):
            raise Http404
        revoke_tokens(actor=request.user, user_id=user_id, reason="revoked through the API")
        return Response(status=status.HTTP_204_NO_CONTENT)
