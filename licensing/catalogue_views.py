"""Pages of the address book and the product catalogue: search, edit, confirm a classification."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from lib.permissions import role_required
from lib.roles import Role
from licensing import catalogue, services
from licensing.catalogue import ADDRESS_BOOK_EDITORS, CATALOGUE_EDITORS, CLASSIFIERS, ProductData
from licensing.forms import AddressEntryForm, ConfirmClassificationForm, ProductForm
from licensing.models import AddressBookEntry, Product

# Sales use both masters; reviewers, admins and auditors read them (a reviewer checks a product).
READERS = (Role.SALES, Role.REVIEWER, Role.COMPLIANCE_ADMIN, Role.AUDITOR)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _add_errors(form: AddressEntryForm | ProductForm | ConfirmClassificationForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@role_required(*READERS)
def address_book(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    page = Paginator(catalogue.search_address_book(query), 50).get_page(request.GET.get("page"))
    may_edit = catalogue.may_edit_address_book(_user(request))
    return render(request, "licensing/address_book.html", {"page": page, "q": query, "may_edit": may_edit})


@role_required(*ADDRESS_BOOK_EDITORS)
def address_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(AddressBookEntry, pk=pk)
    form = AddressEntryForm(request.POST or None, instance=AddressBookEntry.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            catalogue.update_address_entry(actor=_user(request), entry=entry, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"{form.cleaned_data['name']} saved. Requests already filed keep their copy.")
            return redirect("licensing:address_book")
    return render(request, "licensing/address_edit.html", {"form": form, "entry": entry})


@role_required(*READERS)
def products(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    page = Paginator(catalogue.search_products(query), 50).get_page(request.GET.get("page"))
    may_edit = catalogue.may_edit_catalogue(_user(request))
    return render(request, "licensing/products.html", {"page": page, "q": query, "may_edit": may_edit})


def _product_page(request: HttpRequest, product: Product | None) -> HttpResponse:
    form = ProductForm(request.POST or None, instance=product or Product())
    if request.method == "POST" and form.is_valid():
        try:
            data = ProductData(**{k: form.cleaned_data.get(k, "") for k in ProductData.__dataclass_fields__})
            saved = catalogue.save_product(actor=_user(request), data=data, product=product)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Product “{saved}” saved.")
            return redirect("licensing:product", pk=saved.pk)
    context = {
        "form": form,
        "product": product,
        "history": product.history.select_related("history_user").order_by("-history_date")[:50] if product else [],
        "confirm_form": ConfirmClassificationForm(
            initial={"eccn": product.eccn, "reasons_for_control": product.reasons_for_control} if product else None
        ),
        "may_edit": catalogue.may_edit_catalogue(_user(request)),
        "may_confirm": catalogue.may_confirm_classification(_user(request)),
    }
    return render(request, "licensing/product.html", context)


@role_required(*CATALOGUE_EDITORS)
def product_create(request: HttpRequest) -> HttpResponse:
    return _product_page(request, None)


@role_required(*READERS)
def product(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Product.objects.select_related("classified_by", "created_by"), pk=pk)
    if request.method == "POST" and not catalogue.may_edit_catalogue(_user(request)):
        raise PermissionDenied("Your role does not edit the product catalogue.")
    return _product_page(request, found)


@require_POST
@role_required(*CLASSIFIERS)
def product_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Product, pk=pk)
    form = ConfirmClassificationForm(request.POST)
    if form.is_valid():
        try:
            services.confirm_classification(actor=_user(request), product=found, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"Classification of “{found}” confirmed.")
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("licensing:product", pk=pk)
