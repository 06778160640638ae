from datetime import date
from itertools import pairwise

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import connection
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from q3helpdesk.guards import check_instance_text

from .models import (
    Contact,
    Customer,
    HalfFareSubscription,
    Licence,
    LicenceKind,
    Module,
    RentalPeriod,
    SupportPlusRegistration,
    SupportPlusSubscription,
    check_support_plus_kept,
)
from .services import (
    credit_change_check,
    licence_credit_sync,
    rental_period_create,
    rental_period_update,
    support_plus_check,
    support_plus_end,
    support_plus_end_check,
    support_plus_subscribe,
)

# --- an admin that never answers 500 on bad input ------------------------------------


def is_key(field, value) -> bool:
    """Whether ``value`` (from a form or a URL) can be a value of the key ``field``.

    Text for a numeric key, or a number beyond the column's range, is refused before it
    reaches the database (which would raise instead of finding nothing).
    """
    try:
        value = field.to_python(str(value).strip())
    except ValidationError:
        return False
    if isinstance(value, int):
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        return (low is None or value >= low) and (high is None or value <= high)
    return True


def _key_field(form_field):
    model = form_field.queryset.model
    return (
        model._meta.get_field(form_field.to_field_name)
        if form_field.to_field_name
        else (model._meta.pk)
    )


class CheckedModelChoiceField(forms.ModelChoiceField):
    """A foreign key chosen by id: an id that cannot exist is an invalid choice."""

    def to_python(self, value):
        if value not in self.empty_values and not is_key(_key_field(self), value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class CheckedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several rows chosen by id: an id that cannot exist is an invalid choice."""

    def _check_values(self, value):
        key = _key_field(self)
        for pk in value if isinstance(value, list | tuple) else []:
            if not is_key(key, pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class _CheckedAutocomplete:
    """The autocomplete widget looks up the chosen ids to show them: only possible ids."""

    def optgroups(self, name, value, attr=None):
        key = _key_field(self.choices.field)
        value = [v for v in value if v in (None, "") or is_key(key, v)]
        return super().optgroups(name, value, attr)


class CheckedAutocompleteSelect(_CheckedAutocomplete, AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(_CheckedAutocomplete, AutocompleteSelectMultiple):
    pass


class CheckedDateHierarchyChangeList(ChangeList):
    """A year, month or day of the date hierarchy outside the calendar (year 0 or 99999,
    month 13) is the changelist's "invalid filter" answer, not a server error."""

    def get_filters(self, request):
        if self.date_hierarchy:
            params = self.get_filters_params()
            parts = [
                params.get(f"{self.date_hierarchy}__{part}") for part in ("year", "month", "day")
            ]
            given = [p[-1] if isinstance(p, list) else p for p in parts]
            year, month, day = given
            if year is not None:
                try:
                    # Years 2-9998: the year before and after (time zones, the next
                    # period) stay within what dates and the database can hold.
                    if not 2 <= int(year) <= 9998:
                        raise ValueError(year)
                    date(int(year), int(month or 1), int(day or 1))
                except (ValueError, OverflowError, TypeError) as exc:
                    raise IncorrectLookupParameters(exc) from exc
        return super().get_filters(request)


def text_checked(form_class):
    """``form_class`` refusing control characters in the row's text columns, as the
    services do (:func:`q3helpdesk.guards.check_instance_text`): the admin writes rows
    itself, and a NUL or escape saved here would only fail later, at the invoice."""

    class TextChecked(form_class):
        def _post_clean(self):
            super()._post_clean()
            try:
                check_instance_text(self.instance)
            except ValidationError as exc:
                self.add_error(None, exc)

    TextChecked.__name__ = form_class.__name__
    return TextChecked


class CheckedInputAdminMixin:
    """Bad ids in forms and URLs, impossible dates in the date hierarchy and control
    characters in text give a clear error (or 404), never a 500 or a row that breaks
    later. Every admin of the project uses it (its inlines too)."""

    def get_form(self, request, obj=None, **kwargs):
        return text_checked(super().get_form(request, obj, **kwargs))

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            formset.form = text_checked(formset.form)
            yield formset, inline

    def get_changelist(self, request, **kwargs):
        return CheckedDateHierarchyChangeList

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", CheckedModelChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", CheckedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def history_view(self, request, object_id, extra_context=None):
        if not is_key(self.model._meta.pk, unquote(object_id)):
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        history = self.model.history.model._meta.pk
        if not (is_key(self.model._meta.pk, unquote(object_id)) and is_key(history, version_id)):
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)


class GuardedDeleteMixin:
    """Deleting rows that must stay is refused up front, with what to do instead, both on
    the delete page and in the "delete selected" action."""

    def delete_refusal(self, rows: list) -> str | None:
        """Why ``rows`` cannot be deleted, or None when they can."""
        return None

    def _refused(self, request, rows) -> bool:
        message = self.delete_refusal(list(rows))
        if message:
            self.message_user(request, message, messages.ERROR)
            return True
        return False

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self._refused(request, [obj]):
            opts = self.model._meta
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            )
        return super().delete_view(request, object_id, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _func, name, description = actions["delete_selected"]
            actions["delete_selected"] = (self._delete_selected, name, description)
        return actions

    @staticmethod
    def _delete_selected(modeladmin, request, queryset):
        if modeladmin._refused(request, queryset):
            return None
        return delete_selected(modeladmin, request, queryset)


class SupportPlusGuardedDeleteMixin(GuardedDeleteMixin):
    """Deleting a row a running Support+ subscription relies on is refused (R7)."""

    guarded_as = ""  # the keyword of check_support_plus_kept() for deleted rows

    def delete_refusal(self, rows: list) -> str | None:
        try:
            check_support_plus_kept(**{self.guarded_as: rows})
        except ValidationError as exc:
            return " ".join(exc.messages)
        return None


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "email", "phone"]


class LicenceInline(admin.TabularInline):
    """Licences are listed here and edited on their own page (modules, periods)."""

    model = Licence
    extra = 0
    fields = ["kind", "variant"]
    readonly_fields = ["kind", "variant"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def customer_records(customer: Customer) -> list[str]:
    """What the customer has besides its contacts (licences, cases, invoices, usages...),
    as the plural names of those records; empty for a customer entered by mistake."""
    found = []
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        if model is Contact:
            continue
        if model._base_manager.filter(**{relation.field.name: customer}).exists():
            found.append(str(model._meta.verbose_name_plural))
    return found


@admin.register(Customer)
class CustomerAdmin(CheckedInputAdminMixin, GuardedDeleteMixin, SimpleHistoryAdmin):
    """Customers keep their history (who changed what). A customer with business records
    is never deleted: its history, cases and invoices must stay readable."""

    list_display = ["number", "name", "postcode", "city", "language", "phone", "email"]
    list_filter = ["language", "country"]
    search_fields = ["number", "name", "city", "email", "phone", "contacts__name"]
    inlines = [ContactInline, LicenceInline]
    fieldsets = [
        (None, {"fields": ["number", "name", "language"]}),
        (_("Address"), {"fields": ["street", "house_number", "postcode", "city", "country"]}),
        (_("Reach"), {"fields": ["email", "phone"]}),
    ]

    def delete_refusal(self, rows: list) -> str | None:
        for customer in rows:
            records = customer_records(customer)
            if records:
                return _(
                    "Customer %(customer)s cannot be deleted: it has %(records)s, which must"
                    " stay readable. Deactivate it instead: end its rental periods and"
                    " subscriptions, and it no longer gets support."
                ) % {"customer": customer, "records": ", ".join(records)}
        return None


@admin.register(Contact)
class ContactAdmin(CheckedInputAdminMixin, SimpleHistoryAdmin):
    """Contacts are edited with their customer; here to search them and see their history."""

    list_display = ["name", "customer", "role", "email", "phone"]
    search_fields = ["name", "email", "phone", "customer__number", "customer__name"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]


@admin.register(Module)
class ModuleAdmin(CheckedInputAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "is_main"]
    list_filter = ["is_main"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        # Whether a module is a main module decides past credit: fixed once it exists.
        return ["code", "is_main"] if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting a module would silently change the licences (and their credit) that had it.
        return False


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
        fields = ["customer", "kind", "variant", "modules"]

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

    list_display = ["customer", "kind", "variant"]
    list_filter = ["kind", "variant", "modules"]
    search_fields = ["customer__number", "customer__name"]
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
