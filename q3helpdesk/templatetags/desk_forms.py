"""``{{ field|as_cached_crispy_field }}`` and ``{{ form|as_cached_crispy_form }}``:
crispy-forms' ``as_crispy_field`` and ``crispy`` filters, remembered.

Rendering one field through crispy-forms renders two templates (crispy's wrapper and
Django's widget, an option template per choice of a select): about 1 ms a field, 10 ms
for a list's filter form, on every page of the list. What such a field looks like is
decided by a few things only: the language, the form and the field, the widget and its
attributes, the value, the errors and the choices offered. The HTML is kept per
process under a key made of all of these, so the same field shown again in the same
state is not rendered again; anything else (another value, an error, one more user in a
choice) is another key and is rendered by crispy-forms as before. Fields whose look
this key cannot hold (a form with a crispy ``helper``, a long text value) are always
rendered.
"""

from __future__ import annotations

from threading import Lock
from typing import Any

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django import template
from django.forms import BaseForm, BoundField
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

MAX_FIELDS = 2000  # kept HTML of fields, at most (then it starts afresh)
MAX_VALUE = 200  # characters of a value worth keeping a field for
_rendered: dict[tuple, SafeString] = {}
_lock = Lock()


def _frozen(value: Any) -> Any:
    """A hashable picture of a value as a widget shows it (type and text)."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    return (type(value).__qualname__, str(value))


def field_key(field: BoundField) -> tuple | None:
    """What the HTML of ``field`` depends on, or None when it cannot be kept.

    The choices of a model choice field are read from the database for the key (one
    query, as the widget reads them) and handed to the widget, which so reads them once.
    """
    form, form_field = field.form, field.field
    widget = form_field.widget
    if getattr(form, "helper", None) is not None:
        return None
    value = field.value()
    if isinstance(value, str) and len(value) > MAX_VALUE:
        return None
    choices: Any = ()
    if hasattr(widget, "choices"):
        # Not list(): it asks a model choice iterator for its length, a COUNT query.
        listed = [choice for choice in widget.choices]  # noqa: C416
        widget.choices = listed
        choices = _frozen(listed)
    return (
        get_language(),
        # By name: django-filter makes a form class for each filter set it builds.
        type(form).__module__,
        type(form).__qualname__,
        type(form_field),
        form.prefix,
        form.is_bound,
        form.use_required_attribute,
        form.empty_permitted,
        getattr(form, "error_css_class", None),
        getattr(form, "required_css_class", None),
        field.name,
        field.auto_id,
        str(field.label),
        str(form_field.help_text),
        form_field.required,
        form_field.disabled,
        form_field.show_hidden_initial,
        form_field.localize,
        tuple(str(error) for error in field.errors),
        _frozen(value),
        type(widget),
        _frozen(widget.attrs),
        widget.is_required,
        widget.is_localized,
        _frozen(getattr(widget, "format", None)),
        choices,
    )


def form_key(form: BaseForm) -> tuple | None:
    """What the HTML of a whole form depends on (its errors and every field's key)."""
    if getattr(form, "helper", None) is not None:
        return None
    fields = []
    for field in form:
        key = field_key(field)
        if key is None:
            return None
        fields.append(key)
    errors = tuple(str(error) for error in form.non_field_errors())
    return ("form", type(form).__module__, type(form).__qualname__, errors, tuple(fields))


def _remembered(key: tuple | None, render, what) -> SafeString:
    if key is None:
        return render(what)
    html = _rendered.get(key)
    if html is None:
        html = render(what)
        with _lock:
            if len(_rendered) >= MAX_FIELDS:
                _rendered.clear()
            _rendered[key] = html
    return html


@register.filter
def as_cached_crispy_field(field: BoundField) -> SafeString:
    """The field as ``{{ field|as_crispy_field }}`` renders it."""
    key = field_key(field) if isinstance(field, BoundField) else None
    return _remembered(key, as_crispy_field, field)


@register.filter
def as_cached_crispy_form(form: BaseForm) -> SafeString:
    """The form as ``{{ form|crispy }}`` renders it."""
    key = form_key(form) if isinstance(form, BaseForm) else None
    return _remembered(key, as_crispy_form, form)
