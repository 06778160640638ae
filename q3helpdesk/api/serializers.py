"""What the API answers, field by field (the OpenAPI schema is generated from these).

Amounts are strings with two decimals ("1440.00"), dates ISO 8601 (2026-12-31), times
with their offset; phone numbers E.164. Cases carry no description, note or e-mail: the
systems that read the API do not need the customers' words (data minimisation)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.selectors import CreditBalance


class CreditSerializer(serializers.Serializer):
    """The support credit valid on the day asked (R3, R7), as it stood at its end."""

    granted_minutes = serializers.IntegerField(source="granted")
    used_minutes = serializers.IntegerField(source="used")
    remaining_minutes = serializers.IntegerField(source="remaining")
    support_plus_remaining_minutes = serializers.SerializerMethodField(
        help_text="Of the remaining minutes, those only registered Support+ persons may use."
    )
    valid_until = serializers.DateField(source="valid_to", allow_null=True)

    def get_support_plus_remaining_minutes(self, balance) -> int:
        return sum(b.remaining for b in balance.buckets if b.registered_only)


class CreditBucketSerializer(serializers.Serializer):
    source = serializers.CharField()
    label = serializers.CharField()
    granted_minutes = serializers.IntegerField(source="granted")
    used_minutes = serializers.IntegerField(source="used")
    remaining_minutes = serializers.IntegerField(source="remaining")
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(source="valid_to")
    registered_only = serializers.BooleanField()


class CreditDetailSerializer(CreditSerializer):
    buckets = CreditBucketSerializer(many=True)


def _phone(value) -> str:
    return str(value.as_e164) if value else ""


class CustomerSerializer(serializers.Serializer):
    """A customer in a list: its status on the day (``on``) and its credit."""

    number = serializers.CharField()
    name = serializers.CharField()
    street = serializers.CharField()
    house_number = serializers.CharField()
    postcode = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField()
    language = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.SerializerMethodField()
    eligible = serializers.BooleanField(help_text="Support may be given on the day (R1).")
    variant = serializers.CharField(
        allow_null=True, help_text="Variant of the best current rental licence."
    )
    half_fare = serializers.BooleanField()
    support_plus = serializers.BooleanField()
    credit = serializers.SerializerMethodField()

    def get_phone(self, customer) -> str:
        return _phone(customer.phone)

    @extend_schema_field(CreditSerializer)
    def get_credit(self, customer) -> dict:
        balance: CreditBalance = self.context["credit"][customer.pk]
        return CreditSerializer(balance).data


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    annual_rent = serializers.DecimalField(max_digits=10, decimal_places=2)


class LicenceSerializer(serializers.Serializer):
    number = serializers.CharField(allow_null=True, help_text="The ERP's licence number.")
    kind = serializers.CharField()
    variant = serializers.CharField()
    modules = serializers.SerializerMethodField()
    rental_periods = PeriodSerializer(many=True)

    def get_modules(self, licence) -> list[str]:
        return sorted(m.code for m in licence.modules.all())


class SpanSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SupportPlusSerializer(SpanSerializer):
    registered_persons = serializers.SerializerMethodField()

    def get_registered_persons(self, subscription) -> list[dict]:
        rows = sorted(subscription.registrations.all(), key=lambda r: r.position)
        return [{"id": r.contact_id, "name": r.contact.name} for r in rows]


class StatusSerializer(serializers.Serializer):
    eligible = serializers.BooleanField()
    code = serializers.CharField(
        help_text="current_rental, no_licence, purchase_only, rental_expired, "
        "rental_not_started or rental_without_period"
    )
    reason = serializers.CharField(help_text="In the language of Accept-Language.")
    variant = serializers.CharField(allow_null=True)
    main_module_count = serializers.IntegerField()
    period_end = serializers.DateField(allow_null=True)
    half_fare = SpanSerializer(allow_null=True)
    support_plus = SupportPlusSerializer(allow_null=True)


class CustomerDetailSerializer(serializers.Serializer):
    """One customer: its data, its status and credit on the day, its licences."""

    on = serializers.DateField(source="status.on")
    customer = serializers.SerializerMethodField()
    status = StatusSerializer()
    credit = CreditDetailSerializer()
    licences = LicenceSerializer(many=True)

    @extend_schema_field(
        serializers.DictField(help_text="number, name, address, language, e-mail, phone")
    )
    def get_customer(self, facts) -> dict:
        c = facts.customer
        fields = ("number", "name", "street", "house_number", "postcode", "city", "country")
        return {
            **{name: getattr(c, name) for name in fields},
            "language": c.language,
            "email": c.email,
            "phone": _phone(c.phone),
        }


class CallerCustomerSerializer(serializers.Serializer):
    number = serializers.CharField()
    name = serializers.CharField()
    language = serializers.CharField()


class CallerMatchSerializer(serializers.Serializer):
    customer = CallerCustomerSerializer()
    contact = PersonSerializer(allow_null=True, help_text="The contact whose number it is.")
    eligible = serializers.BooleanField(source="customer.eligible")
    variant = serializers.CharField(source="customer.variant", allow_null=True)
    half_fare = serializers.BooleanField(source="customer.half_fare")
    support_plus = serializers.BooleanField(source="customer.support_plus")
    registered_caller = serializers.BooleanField(
        help_text="The contact is a registered person of the running Support+ (R8)."
    )
    priority = serializers.BooleanField(
        help_text="Answer first: a registered Support+ person is calling (R8)."
    )
    credit = CreditSerializer(
        help_text="What this caller may use: Support+ minutes count for registered persons only."
    )
    desk_url = serializers.SerializerMethodField()

    def get_desk_url(self, match) -> str:
        path = reverse("customer_detail", kwargs={"number": match.customer.number})
        return self.context["request"].build_absolute_uri(path)


class CallerAnswerSerializer(serializers.Serializer):
    phone = serializers.CharField(help_text="The number asked, as E.164.")
    more = serializers.BooleanField(help_text="More customers share it than are listed.")
    matches = CallerMatchSerializer(many=True)


class CaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    customer = serializers.CharField(source="customer.number")
    contact = PersonSerializer(allow_null=True)
    kind = serializers.CharField()
    channel = serializers.CharField()
    status = serializers.CharField()
    support_plus = serializers.BooleanField()
    subject = serializers.CharField()
    opened_on = serializers.DateField()
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    charged_minutes = serializers.SerializerMethodField()
    credit_minutes = serializers.SerializerMethodField()
    billable_minutes = serializers.SerializerMethodField()
    amount = serializers.SerializerMethodField()

    def _cost(self, case) -> dict:
        return self.context["costs"].get(case.reference, {})

    def get_charged_minutes(self, case) -> int:
        return self._cost(case).get("charged", 0)

    def get_credit_minutes(self, case) -> int:
        return self._cost(case).get("credit", 0)

    def get_billable_minutes(self, case) -> int:
        return self._cost(case).get("billable", 0)

    @extend_schema_field(serializers.DecimalField(max_digits=10, decimal_places=2))
    def get_amount(self, case) -> str:
        amount = self._cost(case).get("amount")
        return f"{amount:.2f}" if amount is not None else "0.00"


class UsageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = serializers.CharField(source="customer.number")
    work_ref = serializers.CharField(help_text="The case (C-123) or the work it was posted for.")
    activity = serializers.CharField()
    performed_on = serializers.DateField()
    logged_minutes = serializers.IntegerField()
    charged_minutes = serializers.IntegerField()
    credit_minutes = serializers.IntegerField()
    billable_minutes = serializers.IntegerField()
    free_minutes = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=7, decimal_places=2)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    half_fare = serializers.BooleanField()
    reverses = serializers.IntegerField(source="reverses_id", allow_null=True)
    invoiced_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class InvoiceSerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    customer = serializers.CharField(source="customer.number")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    issued_on = serializers.DateField()
    due_on = serializers.DateField(allow_null=True)
    language = serializers.CharField()
    reference = serializers.CharField(help_text="The QR reference of the payment.")
    net = serializers.DecimalField(max_digits=11, decimal_places=2)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    vat = serializers.DecimalField(max_digits=11, decimal_places=2)
    rounding = serializers.DecimalField(max_digits=5, decimal_places=2)
    total = serializers.DecimalField(max_digits=11, decimal_places=2)
    cancels = serializers.CharField(source="cancels.number", allow_null=True, default=None)
    cancelled_by = serializers.CharField(
        allow_null=True, help_text="The number of the credit note that cancelled it."
    )
    pdf = serializers.SerializerMethodField()

    def get_pdf(self, invoice) -> str:
        path = reverse("api:invoice_pdf", kwargs={"number": invoice.number})
        return self.context["request"].build_absolute_uri(path)
