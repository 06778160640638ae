"""The admin of half-fare and Support+ subscriptions: Support+ is taken and ended through
the services (R7)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ..models import (
    Contact,
    HalfFareSubscription,
    SupportPlusRegistration,
    SupportPlusSubscription,
)
from ..services import (
    support_plus_check,
    support_plus_end,
    support_plus_end_check,
    support_plus_subscribe,
)
from .mixins import (
    CheckedInputAdminMixin,
    CheckedModelMultipleChoiceField,
    SupportPlusGuardedDeleteMixin,
)


@admin.register(HalfFareSubscription)
class HalfFareSubscriptionAdmin(
    CheckedInputAdminMixin, SupportPlusGuardedDeleteMixin, SimpleHistoryAdmin
):
    list_display = ["customer", "start", "end"]
    list_filter = ["start", "end"]
    search_fields = ["customer__number", "customer__name"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    guarded_as = "deleted_half_fares"


class SupportPlusAddForm(forms.ModelForm):
    persons = CheckedModelMultipleChoiceField(
        queryset=Contact.objects.select_related("customer"),
        label=_("Registered persons"),
        help_text=_("The first person is included; each further person is an additional one."),
    )

    class Meta:
        model = SupportPlusSubscription
        fields = ["customer", "start", "end"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            support_plus_check(
                customer=cleaned["customer"],
                start=cleaned["start"],
                end=cleaned["end"],
                registered=list(cleaned["persons"]),
            )
        return cleaned


class SupportPlusChangeForm(forms.ModelForm):
    """A running subscription can only be ended earlier (R7: e.g. before its licence ends)."""

    class Meta:
        model = SupportPlusSubscription
        fields = ["end"]

    def clean_end(self):
        end = self.cleaned_data["end"]
        support_plus_end_check(subscription=self.instance, end=end)
        return end


class SupportPlusRegistrationInline(admin.TabularInline):
    model = SupportPlusRegistration
    extra = 0
    fields = ["position", "contact"]
    readonly_fields = ["position", "contact"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SupportPlusSubscription)
class SupportPlusSubscriptionAdmin(CheckedInputAdminMixin, SimpleHistoryAdmin):
    """Subscriptions are added through the R7 rules; afterwards only their end can be
    brought forward (``support_plus_end``)."""

    list_display = ["customer", "start", "end"]
    list_filter = ["start", "end"]
    search_fields = ["customer__number", "customer__name"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = SupportPlusAddForm if obj is None else SupportPlusChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return (
            ["customer", "start", "end", "persons"] if obj is None else ["customer", "start", "end"]
        )

    def get_readonly_fields(self, request, obj=None):
        return ["customer", "start"] if obj is not None else []

    def get_inlines(self, request, obj):
        return [SupportPlusRegistrationInline] if obj is not None else []

    def save_model(self, request, obj, form, change) -> None:
        if change:
            if "end" in form.changed_data:
                support_plus_end(subscription=obj, end=form.cleaned_data["end"])
            return
        created = support_plus_subscribe(
            customer=form.cleaned_data["customer"],
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            registered=list(form.cleaned_data["persons"]),
        )
        obj.pk = created.pk
        obj.created_at = created.created_at

    def save_related(self, request, form, formsets, change) -> None:
        if change:
            super().save_related(request, form, formsets, change)
