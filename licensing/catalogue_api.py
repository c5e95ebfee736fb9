"""The address book and product catalogue over the API: searched by the request form as Sales type."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lib.drf import acting_user
from lib.permissions import HasRole
from licensing import catalogue, services
from licensing.catalogue import ADDRESS_BOOK_EDITORS, CATALOGUE_EDITORS, CLASSIFIERS, SEARCH_LIMIT, ProductData
from licensing.catalogue_views import READERS
from licensing.models import AddressBookEntry, Product

Q_PARAMETER = OpenApiParameter("q", str, required=False, description="Words that must all appear")


class AddressEntrySerializer(serializers.ModelSerializer[AddressBookEntry]):
    class Meta:
        model = AddressBookEntry
        fields = ["id", "name", "address", "country", "updated_at"]
        read_only_fields = ["id", "updated_at"]


class ProductSerializer(serializers.ModelSerializer[Product]):
    classification_label = serializers.CharField(source="get_classification_display", read_only=True)
    classified_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "description",
            "model",
            "manufacturer",
            "eccn",
            "reasons_for_control",
            "classification",
            "classification_label",
            "classified_by",
            "classified_at",
        ]
        read_only_fields = ["id", "classification", "classification_label", "classified_by", "classified_at"]


class ConfirmSerializer(serializers.Serializer[dict[str, Any]]):
    eccn = serializers.CharField(max_length=32)
    reasons_for_control = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AddressBookView(APIView):
    """GET ?q=: address-book entries matching every word typed (name, country, address)."""

    permission_classes = [HasRole]
    read_roles = READERS

    @extend_schema(parameters=[Q_PARAMETER], responses=AddressEntrySerializer(many=True))
    def get(self, request: Request) -> Response:
        entries = catalogue.search_address_book(request.query_params.get("q", ""))[:SEARCH_LIMIT]
        return Response(AddressEntrySerializer(entries, many=True).data)


class AddressEntryView(APIView):
    """GET one entry; PATCH it (Sales, Compliance admins): requests already filed keep their copy."""

    permission_classes = [HasRole]
    read_roles = READERS
    write_roles = ADDRESS_BOOK_EDITORS

    @extend_schema(responses=AddressEntrySerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(AddressEntrySerializer(get_object_or_404(AddressBookEntry, pk=pk)).data)

    @extend_schema(request=AddressEntrySerializer, responses=AddressEntrySerializer)
    def patch(self, request: Request, pk: int) -> Response:
        entry = get_object_or_404(AddressBookEntry, pk=pk)
        body = AddressEntrySerializer(entry, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        values = {k: body.validated_data.get(k, getattr(entry, k)) for k in ("name", "address", "country")}
        entry = catalogue.update_address_entry(actor=acting_user(request), entry=entry, **values)
        return Response(AddressEntrySerializer(entry).data)


class ProductListView(APIView):
    """GET ?q=: products matching every word typed, confirmed first; POST: add a self-classified product."""

    permission_classes = [HasRole]
    read_roles = READERS
    write_roles = CATALOGUE_EDITORS

    @extend_schema(parameters=[Q_PARAMETER], responses=ProductSerializer(many=True))
    def get(self, request: Request) -> Response:
        products = catalogue.search_products(request.query_params.get("q", ""))[:SEARCH_LIMIT]
        return Response(ProductSerializer(products, many=True).data)

    @extend_schema(request=ProductSerializer, responses={201: ProductSerializer})
    def post(self, request: Request) -> Response:
        body = ProductSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = ProductData(**{k: body.validated_data.get(k, "") for k in ProductData.__dataclass_fields__})
        product = catalogue.save_product(actor=acting_user(request), data=data)
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)


class ProductView(APIView):
    """GET one product; PATCH it (changing a confirmed ECCN undoes the confirmation)."""

    permission_classes = [HasRole]
    read_roles = READERS
    write_roles = CATALOGUE_EDITORS

    @extend_schema(responses=ProductSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ProductSerializer(get_object_or_404(Product, pk=pk)).data)

    @extend_schema(request=ProductSerializer, responses=ProductSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        product = get_object_or_404(Product, pk=pk)
        body = ProductSerializer(product, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        values = {k: body.validated_data.get(k, getattr(product, k)) for k in ProductData.__dataclass_fields__}
        product = catalogue.save_product(actor=acting_user(request), data=ProductData(**values), product=product)
        return Response(ProductSerializer(product).data)


class ProductConfirmView(APIView):
    """Confirm a product's classification (reviewers, Compliance admins), attributed and kept in its history."""

    permission_classes = [HasRole]
    write_roles = CLASSIFIERS

    @extend_schema(request=ConfirmSerializer, responses=ProductSerializer)
    def post(self, request: Request, pk: int) -> Response:
        body = ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        product = services.confirm_classification(
            actor=acting_user(request), product=get_object_or_404(Product, pk=pk), **body.validated_data
        )
        return Response(ProductSerializer(product).data)
