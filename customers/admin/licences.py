"""The admin of licences and rental periods: saved through the services, and checked
against the credit already used and the Support+ rule (R7)."""

from itertools import pairwise

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ..models import Licence, LicenceKind, RentalPeriod, check_support_plus_kept
from ..services import (
    credit_change_check,
    licence_credit_sync,
    rental_period_create,
    rental_period_update,
)
from .mixins import CheckedInputAdminMixin, SupportPlusGuardedDeleteMixin


class CreditCheckedForm(forms.ModelForm):
    """A rental period or licence form that asks, once the row holds its new values, whether
    the change would take back credit already used (``credit_change_check``)."""

    def _post_clean(self):
        super()._post_clean()
        if self.errors or self.instance.pk is None:
            return
        try:
            self.check_credit()
        except ValidationError as exc:
            self.add_error(None, exc)

    def check_credit(self) -> None:
        credit_change_check(period=self.instance)


class RentalPeriodForm(CreditCheckedForm):
    class Meta:
        model = RentalPeriod
        fields = ["licence", "start", "end", "annual_rent"]


class RentalPeriodFormSet(BaseInlineFormSet):
    """Checks the periods entered together against each other (the model checks the rest)."""

    def clean(self) -> None:
        super().clean()
        if self.instance.kind != LicenceKind.RENTAL and any(
            form.cleaned_data and not form.cleaned_data.get("DELETE") for form in self.forms
        ):
            raise ValidationError(
                _("Only a rental licence has rental periods; this is a purchase licence.")
            )
        spans = []
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            start, end = form.cleaned_data.get("start"), form.cleaned_data.get("end")
            if start and end:
                spans.append((start, end))
        spans.sort()
        for (_s1, e1), (s2, _e2) in pairwise(spans):
            if s2 <= e1:
                raise ValidationError(_("The rental periods of one licence cannot overlap."))
        # Each row checks its own change (RentalPeriod.clean) and the licence form its new
        # variant; the rows changed and deleted here must also, together, leave every
        # Support+ subscription of the customer a profi or premium rental period on each
        # day of its term (R7).
        if self.instance.pk is not None and not any(self.errors):
            kept = [
                form.instance
                for form in self.forms
                if form.cleaned_data
                and not form.cleaned_data.get("DELETE")
                and form.instance.start
                and form.instance.end
            ]
            deleted = [
                form.instance
                for form in self.forms
                if form.cleaned_data and form.cleaned_data.get("DELETE") and form.instance.pk
            ]
            check_support_plus_kept(periods=kept, deleted_periods=deleted)


class RentalPeriodInline(admin.TabularInline):
    model = RentalPeriod
    form = RentalPeriodForm
    formset = RentalPeriodFormSet
    extra = 0
    fields = ["start", "end", "annual_rent"]


class LicenceForm(CreditCheckedForm):
    class Meta:
        model = Licence
        fields = ["customer", "number", "kind", "variant", "modules"]

    def check_credit(self) -> None:
        # The modules decide the credit column: checked with the modules chosen here.
        modules = self.cleaned_data.get("modules")
        credit_change_check(
            licence=self.instance,
            main_module_count=None if modules is None else sum(1 for m in modules if m.is_main),
        )


@admin.register(Licence)
class LicenceAdmin(CheckedInputAdminMixin, SimpleHistoryAdmin):
    form = LicenceForm

    def save_related(self, request, form, formsets, change) -> None:
        """The licence, its modules and its periods are saved; then its credit is derived
        once, from the final rows (checked by the forms), in the same transaction."""
        super().save_related(request, form, formsets, change)
        licence_credit_sync(licence=form.instance)

    list_display = ["customer", "number", "kind", "variant"]
    list_filter = ["kind", "variant", "modules"]
    search_fields = ["number", "customer__number", "customer__name"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    filter_horizontal = ["modules"]
    inlines = [RentalPeriodInline]


@admin.register(RentalPeriod)
class RentalPeriodAdmin(CheckedInputAdminMixin, SupportPlusGuardedDeleteMixin, SimpleHistoryAdmin):
    list_display = ["licence", "start", "end", "annual_rent"]
    list_filter = ["start", "end", "licence__variant"]
    search_fields = ["licence__customer__number", "licence__customer__name"]
    list_select_related = ["licence__customer"]
    raw_id_fields = ["licence"]
    guarded_as = "deleted_periods"
    form = RentalPeriodForm

    def get_readonly_fields(self, request, obj=None):
        return ["licence"] if obj is not None else []

    def save_model(self, request, obj, form, change) -> None:
        """Through the services, which derive the period's credit (checked by the form)."""
        values = {f: form.cleaned_data[f] for f in ("start", "end", "annual_rent")}
        if change:
            rental_period_update(period=obj, **values)
        else:
            created = rental_period_create(licence=form.cleaned_data["licence"], **values)
            obj.pk = created.pk
