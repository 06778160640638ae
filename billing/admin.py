from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from customers.admin import CheckedInputAdminMixin
from customers.models import LicenceVariant

from .models import (
    VERIFIED_ERROR,
    ActivityRate,
    Company,
    CreditAllowance,
    CreditGrant,
    Invoice,
    InvoiceLine,
    InvoiceRun,
    Tariff,
    Usage,
    UsageDraw,
)
from .rules import missing_credit_cells

CELLS = [(v, several) for v in LicenceVariant.values for several in (False, True)]


class PrefilledRowForm(forms.ModelForm):
    """A row of a tariff's table; a pre-filled row of a new tariff counts as entered."""

    prefilled = False  # set by the formset for the rows shown on "add"

    def has_changed(self) -> bool:
        # Django saves an extra row only when it differs from its initial data; on "add"
        # the initial data (copied from the latest tariff) *is* the new tariff's table.
        return self.prefilled or super().has_changed()


class PrefilledFormSet(BaseInlineFormSet):
    """A table of a tariff shown pre-filled from the latest tariff on "add" and saved as
    shown, so that an administrator changes only the rows that differ."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Captured now: the tariff gets its primary key before the rows are saved.
        self.adding = self.instance.pk is None

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.prefilled = self.adding and i >= self.initial_form_count()
        return form

    def kept_rows(self) -> list[dict]:
        """The cleaned data of the rows that stay (not empty, not marked for deletion)."""
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


class CreditTableFormSet(PrefilledFormSet):
    """The credit table (R3) must have every variant × single/several cell exactly once."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        cells = [(row["variant"], row["several_main_modules"]) for row in self.kept_rows()]
        if len(cells) != len(set(cells)):
            raise ValidationError(_("Each cell of the credit table can be given only once."))
        missing = missing_credit_cells(cells, LicenceVariant.values)
        if missing:
            labels = ", ".join(
                f"{LicenceVariant(v).label} / "
                + str(_("several main modules") if several else _("single main module"))
                for v, several in missing
            )
            raise ValidationError(
                _("The credit table is incomplete; missing: %(cells)s.") % {"cells": labels}
            )


class ActivityTableFormSet(PrefilledFormSet):
    """The activities of a tariff (R4): the verified software error among them (the desk
    posts work on a verified error as it), and it free."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        # Each code once: Django's formset checks the model's unique constraint first.
        codes = [row["code"] for row in self.kept_rows()]
        if VERIFIED_ERROR not in codes:
            raise ValidationError(
                _("The activities must include “%(code)s”, the verified software error (free).")
                % {"code": VERIFIED_ERROR}
            )


if TYPE_CHECKING:
    # The inline the mixin is put in front of (at runtime the mixin has no base).
    _Inline = admin.options.InlineModelAdmin[Any, Any]
else:
    _Inline = object


class TariffTableMixin(_Inline):
    """A table of the tariff; frozen like the tariff once grants or charges used it."""

    @property
    def prefill_rows(self) -> int:
        """The rows a new tariff's table starts with (each table says how many)."""
        raise NotImplementedError

    def get_extra(self, request, obj=None, **kwargs) -> int:
        return self.prefill_rows if obj is None else 0

    def has_change_permission(self, request, obj=None) -> bool:
        return not (obj is not None and _is_used(obj)) and super().has_change_permission(
            request, obj
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj) and super().has_delete_permission(
            request, obj
        )


class CreditAllowanceInline(TariffTableMixin, admin.TabularInline):
    model = CreditAllowance
    form = PrefilledRowForm
    formset = CreditTableFormSet
    fields = ["variant", "several_main_modules", "minutes"]
    max_num = len(CELLS)
    prefill_rows = len(CELLS)


class ActivityRateInline(TariffTableMixin, admin.StackedInline):
    """One block per activity, its fields in five short rows: twelve columns side by side
    would not fit a 1366-pixel laptop."""

    model = ActivityRate
    form = PrefilledRowForm
    formset = ActivityTableFormSet
    fields = [
        ("position", "code"),
        ("name_fr", "name_de", "name_en"),
        ("hourly_rate", "half_fare_rate"),
        ("licence_credit", "support_plus_credit"),
        ("free", "free_on_verified_error", "first_rental_period_only"),
    ]
    field_names = [name for row in fields for name in row]
    ordering = ["position", "code"]

    @property
    def prefill_rows(self) -> int:
        latest = _latest_tariff()
        return len(latest.activities.all()) if latest else 1


def _is_used(tariff: Tariff) -> bool:
    return (
        CreditGrant.objects.filter(tariff=tariff).exists()
        or Usage.objects.filter(tariff=tariff).exists()
    )


def _latest_tariff() -> Tariff | None:
    return (
        Tariff.objects.order_by("-valid_from")
        .prefetch_related("credit_allowances", "activities")
        .first()
    )


@admin.register(Tariff)
class TariffAdmin(CheckedInputAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "valid_from",
        "unit_minutes",
        "credit_threshold",
        "support_plus_price",
        "support_plus_capacity",
        "vat_rate",
    ]
    inlines = [ActivityRateInline, CreditAllowanceInline]
    fieldsets = [
        (None, {"fields": ["valid_from", "note"]}),
        (_("Credit"), {"fields": ["unit_minutes", "credit_threshold", "backdating_days"]}),
        (_("E-mail"), {"fields": ["reopen_days", "acknowledge_emails"]}),
        (_("Callbacks"), {"fields": ["callback_expiry_days"]}),
        (
            _("Subscriptions"),
            {
                "fields": [
                    "support_plus_price",
                    "support_plus_additional_person_price",
                    "support_plus_extra_minutes",
                    "support_plus_capacity",
                    "half_fare_price",
                ]
            },
        ),
        (_("VAT"), {"fields": ["vat_rate"]}),
    ]

    def get_changeform_initial_data(self, request):
        """A new tariff starts as a copy of the latest one."""
        initial = super().get_changeform_initial_data(request)
        latest = _latest_tariff()
        if latest is not None:
            for field in Tariff._meta.concrete_fields:
                if field.name not in {"id", "valid_from", "note"}:
                    initial.setdefault(field.name, getattr(latest, field.attname))
        return initial

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if obj.pk is None and isinstance(inline, CreditAllowanceInline):
            latest = _latest_tariff()
            minutes = (
                {
                    (c.variant, c.several_main_modules): c.minutes
                    for c in latest.credit_allowances.all()
                }
                if latest
                else {}
            )
            kwargs["initial"] = [
                {
                    "variant": v,
                    "several_main_modules": several,
                    "minutes": minutes.get((v, several)),
                }
                for v, several in CELLS
            ]
        if obj.pk is None and isinstance(inline, ActivityRateInline):
            latest = _latest_tariff()
            kwargs["initial"] = [
                {name: getattr(row, name) for name in ActivityRateInline.field_names}
                for row in (latest.activities.all() if latest else [])
            ]
        return kwargs

    def has_delete_permission(self, request, obj=None) -> bool:
        # A tariff that has been in force is the basis of past charges: keep it.
        if obj is not None and (obj.valid_from <= timezone.localdate() or _is_used(obj)):
            return False
        return super().has_delete_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        # Grants and charges were computed from it: a change needs a new tariff version.
        if obj is not None and _is_used(obj):
            return False
        return super().has_change_permission(request, obj)


class ReadOnlyMixin:
    """The ledger is audited in the admin, never edited: no add, change or delete."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(CheckedInputAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    pass


class UsageDrawInline(ReadOnlyMixin, admin.TabularInline):
    model = UsageDraw
    extra = 0
    fields = readonly_fields = ("grant", "minutes")


@admin.register(CreditGrant)
class CreditGrantAdmin(ReadOnlyAdmin):
    list_display = ["customer", "source", "valid_from", "valid_to", "minutes", "used_minutes"]
    list_filter = ["source", "valid_from", "valid_to"]
    search_fields = ["customer__number", "customer__name"]
    date_hierarchy = "valid_from"
    list_select_related = ["customer"]


@admin.register(Usage)
class UsageAdmin(ReadOnlyAdmin):
    list_display = [
        "performed_on",
        "customer",
        "work_ref",
        "activity",
        "logged_minutes",
        "charged_minutes",
        "credit_minutes",
        "billable_minutes",
        "free_minutes",
        "rate",
        "amount",
        "reverses",
    ]
    list_filter = ["activity", "half_fare", "performed_on"]
    search_fields = ["customer__number", "customer__name", "work_ref", "label"]
    date_hierarchy = "performed_on"
    list_select_related = ["customer", "reverses"]
    inlines = [UsageDrawInline]


@admin.register(Company)
class CompanyAdmin(CheckedInputAdminMixin, SimpleHistoryAdmin):
    """One row: the creditor of every invoice."""

    list_display = ["legal_name", "uid", "iban", "payment_term_days"]
    fieldsets = [
        (None, {"fields": ["legal_name", "uid"]}),
        (_("Address"), {"fields": ["street", "house_number", "postcode", "city", "country"]}),
        (_("Payment"), {"fields": ["iban", "payment_term_days"]}),
        (_("Contact and footer"), {"fields": ["email", "phone", "footer"]}),
    ]

    def has_add_permission(self, request) -> bool:
        return not Company.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class InvoiceLineInline(ReadOnlyMixin, admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = readonly_fields = (
        "position",
        "kind",
        "work_ref",
        "activity",
        "text",
        "charged_minutes",
        "credit_minutes",
        "billable_minutes",
        "quantity",
        "rate",
        "amount",
    )


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    """Invoices are issued and cancelled on the billing pages; the admin only shows them."""

    list_display = ["number", "kind", "status", "customer", "issued_on", "total"]
    list_filter = ["kind", "status", "issued_on"]
    search_fields = ["number", "customer__number", "customer__name", "debtor_name"]
    date_hierarchy = "issued_on"
    list_select_related = ["customer"]
    inlines = [InvoiceLineInline]


@admin.register(InvoiceRun)
class InvoiceRunAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "period_start", "period_end", "status", "drafts", "created_by"]
    list_filter = ["status"]
