"""The read-only API for other systems (README "API for other systems"): thin views over
``selectors``; each names the scope its token must carry."""

from __future__ import annotations

from datetime import date
from functools import wraps

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import generics, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.selectors import credit_balances
from billing.services import invoice_pdf_stored
from cases.selectors import case_costs
from customers.models import Customer
from q3helpdesk.roles import EVERYONE, has_role

from . import filters, selectors
from .auth import ApiPrincipal, ApiTokenAuthentication
from .models import Scope
from .pagination import IdCursorPagination
from .permissions import HasScope
from .serializers import (
    CallerAnswerSerializer,
    CaseSerializer,
    CustomerDetailSerializer,
    CustomerSerializer,
    InvoiceSerializer,
    UsageSerializer,
)

ON = OpenApiParameter(
    "on",
    OpenApiTypes.DATE,
    description="The day of the status and the credit (default: today, Zurich).",
)


def day_asked(request) -> date:
    """``?on=2026-12-31`` (or 31.12.2026), else today; anything else is a 400."""
    text = request.query_params.get("on", "").strip()
    if not text:
        return timezone.localdate()
    try:
        return forms.DateField().clean(text)
    except ValidationError as exc:
        raise serializers.ValidationError({"on": exc.messages}) from None


class ApiView(APIView):
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [HasScope]
    required_scope: str = ""


class PagedList(ApiView, generics.ListAPIView):
    """A list paged by cursor, filtered by its FilterSet; ``page_context`` adds what the
    rows of one page need (their credit, their cost) in a fixed number of queries."""

    filter_backends = [DjangoFilterBackend]
    pagination_class = IdCursorPagination

    def page_context(self, page: list) -> dict:
        return {}

    def list(self, request, *args, **kwargs):
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert rows is not None  # every list is paged
        context = {**self.get_serializer_context(), **self.page_context(rows)}
        data = self.get_serializer_class()(rows, many=True, context=context).data
        return self.get_paginated_response(data)


@extend_schema(parameters=[ON], tags=["customers"])
class CustomerList(PagedList):
    """Customers in the order they were recorded, with their support status and credit on
    the day."""

    required_scope = Scope.CUSTOMERS
    serializer_class = CustomerSerializer
    filterset_class = filters.CustomerFilter

    def get_queryset(self):
        self.on = day_asked(self.request)
        return selectors.customers_on(self.on)

    def page_context(self, page: list) -> dict:
        return {"credit": credit_balances(customers=page, on=self.on)}


@extend_schema(parameters=[ON], responses=CustomerDetailSerializer, tags=["customers"])
class CustomerDetail(ApiView):
    """One customer: status and credit on the day (with each credit bucket), licences with
    their modules and rental periods, half-fare and Support+ with the registered persons."""

    required_scope = Scope.CUSTOMERS

    def get(self, request, number: str):
        customer = Customer.objects.filter(number=number).first()
        if customer is None:
            raise NotFound(_("No customer has the number %(number)s.") % {"number": number})
        facts = selectors.customer_facts(customer=customer, on=day_asked(request))
        return Response(CustomerDetailSerializer(facts, context={"request": request}).data)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "phone",
            OpenApiTypes.STR,
            required=True,
            description="The caller's number in any writing: 031 511 49 49, +41315114949 …",
        ),
        ON,
    ],
    responses={200: CallerAnswerSerializer, 400: OpenApiResponse(description="Not a number.")},
    tags=["caller"],
)
class Caller(ApiView):
    """Who is calling: the customers whose number, or whose contact's number, it is, with
    eligibility, credit and Support+ priority — one call for a ringing phone."""

    required_scope = Scope.CALLER

    def get(self, request):
        try:
            answer = selectors.caller_answer(
                phone=request.query_params.get("phone", ""), on=day_asked(request)
            )
        except ValidationError as exc:
            raise serializers.ValidationError({"phone": exc.messages}) from None
        return Response(CallerAnswerSerializer(answer, context={"request": request}).data)


@extend_schema(tags=["cases"])
class CaseList(PagedList):
    """Cases, oldest first, with the minutes and amount posted on each."""

    required_scope = Scope.CASES
    serializer_class = CaseSerializer
    filterset_class = filters.CaseFilter

    def get_queryset(self):
        return selectors.cases_listed()

    def page_context(self, page: list) -> dict:
        return {"costs": case_costs(page)}


@extend_schema(tags=["cases"], responses=CaseSerializer)
class CaseDetail(ApiView):
    required_scope = Scope.CASES

    def get(self, request, pk: int):
        case = selectors.cases_listed().filter(pk=pk).first()
        if case is None:
            raise NotFound(_("No case has the reference C-%(id)s.") % {"id": pk})
        context = {"request": request, "costs": case_costs([case])}
        return Response(CaseSerializer(case, context=context).data)


@extend_schema(tags=["usages"])
class UsageList(PagedList):
    """The posted support time of a date range (at most 366 days): every posting and
    reversal of the ledger, with its minutes from credit, billable and free."""

    required_scope = Scope.USAGES
    serializer_class = UsageSerializer
    filterset_class = filters.UsageFilter

    def get_queryset(self):
        return selectors.usages_listed()


@extend_schema(tags=["invoices"])
class InvoiceList(PagedList):
    """Issued invoices and credit notes (drafts are not listed)."""

    required_scope = Scope.INVOICES
    serializer_class = InvoiceSerializer
    filterset_class = filters.InvoiceFilter

    def get_queryset(self):
        return selectors.invoices_listed()


def issued_invoice(number: str):
    invoice = selectors.invoices_listed().filter(number=number).first()
    if invoice is None:
        raise NotFound(_("No issued invoice has the number %(number)s.") % {"number": number})
    return invoice


@extend_schema(tags=["invoices"], responses=InvoiceSerializer)
class InvoiceDetail(ApiView):
    required_scope = Scope.INVOICES

    def get(self, request, number: str):
        invoice = issued_invoice(number)
        return Response(InvoiceSerializer(invoice, context={"request": request}).data)


@extend_schema(
    tags=["invoices"],
    responses={(200, "application/pdf"): OpenApiTypes.BINARY},
)
class InvoicePdf(ApiView):
    """The invoice's PDF, the one sent to the customer (with its QR-bill)."""

    required_scope = Scope.INVOICES

    def get(self, request, number: str):
        invoice = issued_invoice(number)
        try:
            invoice = invoice_pdf_stored(invoice=invoice)
        except ValidationError:
            raise NotFound(_("This invoice has no PDF.")) from None
        return FileResponse(
            invoice.pdf.open("rb"), content_type="application/pdf", filename=f"{invoice.number}.pdf"
        )


# --- the schema and its documentation page -------------------------------------------------


class DeskUserOrToken(BasePermission):
    """A system with any scope, or a desk user with a role."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return isinstance(user, ApiPrincipal) or has_role(user, EVERYONE)


def desk_user_or_token(view):
    """A desk user without a session goes to the login page, a user without a role gets
    403 (as on every page); a request with a token is left to the token's check."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.META.get("HTTP_AUTHORIZATION"):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, EVERYONE):
                raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.required_roles = EVERYONE
    return wrapped


schema = desk_user_or_token(
    SpectacularAPIView.as_view(
        authentication_classes=[ApiTokenAuthentication, SessionAuthentication],
        permission_classes=[DeskUserOrToken],
    )
)
docs = desk_user_or_token(
    SpectacularSwaggerSplitView.as_view(
        url_name="api_schema",
        authentication_classes=[SessionAuthentication],
        permission_classes=[DeskUserOrToken],
    )
)
