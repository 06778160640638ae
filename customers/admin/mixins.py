"""What every admin of the project shares: an admin that never answers 500 on bad input
(:class:`CheckedInputAdminMixin`), and deletes refused up front with what to do instead
(:class:`GuardedDeleteMixin`)."""

from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse

from q3helpdesk.guards import check_instance_text

from ..models import check_support_plus_kept


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

    def get_form(self, request, obj=None, change=False, **kwargs):
        return text_checked(super().get_form(request, obj, change=change, **kwargs))

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


if TYPE_CHECKING:
    # The admin a mixin is put in front of (at runtime the mixin has no base).
    _ModelAdmin = ModelAdmin[Any]
else:
    _ModelAdmin = object


class GuardedDeleteMixin(_ModelAdmin):
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
        # The keyword is the admin's (periods, half-fares…): its rows are the deleted ones.
        deleted: dict[str, Any] = {self.guarded_as: rows}
        try:
            check_support_plus_kept(**deleted)
        except ValidationError as exc:
            return " ".join(exc.messages)
        return None
