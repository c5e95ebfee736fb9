from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


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
    """POST username and password, receive the API token for that user."""

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
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
