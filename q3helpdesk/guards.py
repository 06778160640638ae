"""Guards at the door of every service: input that can never hurt later.

Two checks, shared by every app (this module imports Django only, no app, so every layer
may use it without breaking the customers ← billing ← cases direction):

- **Text.** What a user types or a caller passes is refused when it holds a control
  character: a NUL byte breaks the invoice's QR-bill and PostgreSQL's text columns, a line
  break in a subject breaks the e-mail header, an escape sequence turns a log or an export
  into something else. Single-line text refuses every control character (Unicode category
  Cc) and the line and paragraph separators U+2028/U+2029; multi-line text (descriptions,
  notes, e-mail bodies) allows only ``\\n``, ``\\r\\n`` and ``\\t``. What arrives from
  outside (incoming e-mail) is never refused: :func:`scrub` cleans it instead.
- **Arguments.** :func:`service` wraps a service and checks, on every call, that each
  argument matches the service's type hints: a model instance of the right class and saved
  (a row that exists), a date that is not a datetime, an ``int`` that is not a ``bool``, an
  exact ``Decimal`` (never a float), text that is text — with a translated
  ``ValidationError`` naming the field, before the service touches the database. The hints
  are read once, on the first call; a call then costs a few ``isinstance`` checks.
"""

from __future__ import annotations

import functools
import inspect
import re
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# --- text ------------------------------------------------------------------------------------

# Cc is U+0000–U+001F and U+007F–U+009F; U+2028/U+2029 break lines in JavaScript and in
# some mail clients although they are not Cc.
_SINGLE_LINE_BAD = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Multi-line: tab and line feed are text; a carriage return only before a line feed.
_MULTI_LINE_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]|\r(?!\n)")

# What the fields are called in messages ("The subject may not contain…"): one label per
# argument name of the services (a test checks that every argument has one).
LABELS = {
    "activity": gettext_lazy("The activity"),
    "annual_rent": gettext_lazy("The annual rent"),
    "apply": gettext_lazy("Import for good"),
    "assignee": gettext_lazy("The assignee"),
    "body": gettext_lazy("The text of the e-mail"),
    "bug_reference": gettext_lazy("The bug reference"),
    "by": gettext_lazy("The user"),
    "callback": gettext_lazy("The callback"),
    "case": gettext_lazy("The case"),
    "channel": gettext_lazy("The channel"),
    "city": gettext_lazy("The city"),
    "client": gettext_lazy("The API client"),
    "confirmed_by": gettext_lazy("The user"),
    "contact": gettext_lazy("The contact"),
    "content": gettext_lazy("The file"),
    "country": gettext_lazy("The country"),
    "created_by": gettext_lazy("The user"),
    "customer": gettext_lazy("The customer"),
    "customers": gettext_lazy("The customers"),
    "description": gettext_lazy("The description"),
    "dry_run": gettext_lazy("Check only"),
    "email": gettext_lazy("The e-mail address"),
    "end": gettext_lazy("The end"),
    "entry": gettext_lazy("The time entry"),
    "expires_on": gettext_lazy("The last valid day"),
    "house_number": gettext_lazy("The house number"),
    "inbound": gettext_lazy("The message"),
    "invoice": gettext_lazy("The invoice"),
    "issued_by": gettext_lazy("The user"),
    "issued_on": gettext_lazy("The issue date"),
    "kind": gettext_lazy("The kind"),
    "label": gettext_lazy("The label"),
    "language": gettext_lazy("The language"),
    "licence": gettext_lazy("The licence"),
    "line": gettext_lazy("The invoice line"),
    "main_module_count": gettext_lazy("The number of main modules"),
    "minutes": gettext_lazy("The minutes"),
    "modules": gettext_lazy("The modules"),
    "name": gettext_lazy("The name"),
    "not_before": gettext_lazy("The first work day"),
    "note": gettext_lazy("The note"),
    "now": gettext_lazy("The time"),
    "number": gettext_lazy("The number"),
    "on": gettext_lazy("The day"),
    "opened_on": gettext_lazy("The day the case was received"),
    "outcome": gettext_lazy("The outcome"),
    "performed_by": gettext_lazy("The user"),
    "performed_on": gettext_lazy("The date of the work"),
    "period": gettext_lazy("The rental period"),
    "period_end": gettext_lazy("The end of the period"),
    "period_start": gettext_lazy("The start of the period"),
    "phone": gettext_lazy("The phone number"),
    "postcode": gettext_lazy("The postcode"),
    "progress": gettext_lazy("The progress report"),
    "raw": gettext_lazy("The message"),
    "reason": gettext_lazy("The reason"),
    "registered": gettext_lazy("The registered persons"),
    "removed_by": gettext_lazy("The user"),
    "render_pdf": gettext_lazy("Render the PDF"),
    "reply_to": gettext_lazy("The message answered"),
    "repost": gettext_lazy("Post again"),
    "role": gettext_lazy("The role"),
    "scopes": gettext_lazy("The scopes"),
    "start": gettext_lazy("The start"),
    "status": gettext_lazy("The status"),
    "street": gettext_lazy("The street"),
    "subject": gettext_lazy("The subject"),
    "subscription": gettext_lazy("The subscription"),
    "support_plus": gettext_lazy("The Support+ subscription"),
    "text": gettext_lazy("The text"),
    "upload": gettext_lazy("The uploaded file"),
    "usage": gettext_lazy("The usage"),
    "user": gettext_lazy("The user"),
    "variant": gettext_lazy("The variant"),
    "windows": gettext_lazy("The windows"),
    "work_ref": gettext_lazy("The case reference"),
    "year": gettext_lazy("The year"),
}
# Arguments that hold text of several lines.
MULTI_LINE = frozenset({"description", "note", "body", "text"})


def label_for(name: str) -> str:
    return str(LABELS.get(name) or gettext_lazy("A value"))


def check_text(value: str, *, label: str, multiline: bool = False) -> str:
    """``value`` unchanged, or ``ValidationError`` when it holds a control character."""
    if multiline:
        if _MULTI_LINE_BAD.search(value):
            raise ValidationError(
                _(
                    "%(field)s contains a control character (such as a NUL byte); only line"
                    " breaks and tabs are allowed."
                )
                % {"field": label},
                code="control_character",
            )
    elif _SINGLE_LINE_BAD.search(value):
        raise ValidationError(
            _("%(field)s must be one line of text, without line breaks or control characters.")
            % {"field": label},
            code="control_character",
        )
    return value


def column_length(model: type[models.Model], name: str) -> int:
    """The ``max_length`` of the text column ``name`` of ``model``."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.CharField) or field.max_length is None:
        raise TypeError(f"{model.__name__}.{name} is not a text column with a length")
    return field.max_length


def check_instance_text(instance: models.Model) -> None:
    """Check every text column of ``instance`` before it is saved (a ``TextField`` is
    multi-line, any other text column single-line), naming the field's label."""
    for field in instance._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField):
            value = getattr(instance, field.attname)
            if isinstance(value, str):
                check_text(
                    value,
                    label=str(field.verbose_name).capitalize(),
                    multiline=isinstance(field, models.TextField),
                )


def scrub(value: str, *, multiline: bool = False) -> str:
    """Text from outside (incoming e-mail) made safe to store instead of refused: line
    breaks as ``\\n`` (a space on one line), other control characters removed."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.replace("\u2028", "\n").replace("\u2029", "\n").replace("\x85", "\n")
    if multiline:
        return _MULTI_LINE_BAD.sub("", value)
    value = re.sub("[\t\n\x0b\x0c]+", " ", value)
    return _SINGLE_LINE_BAD.sub("", value)


class SafeTextForm:
    """Mixin for forms (put it before ``forms.Form``): every text field refuses control
    characters with the field's own error (a ``Textarea`` allows line breaks and tabs), so
    the desk sees which field to correct before any service is called."""

    def clean(self):
        from django import forms

        cleaned = super().clean()
        for name, field in self.fields.items():
            value = cleaned.get(name)
            if not isinstance(field, forms.CharField) or not isinstance(value, str):
                continue
            try:
                check_text(
                    value,
                    label=str(field.label or name),
                    multiline=isinstance(field.widget, forms.Textarea),
                )
            except ValidationError as exc:
                self.add_error(name, exc)
        return cleaned


# --- arguments ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    kind: type | None  # the class a value must be; None: not checked
    optional: bool  # None is allowed
    item: type | None = None  # for a list: the class of its items
    container: bool = False
    options: tuple[_Spec, ...] = ()  # for a union of several classes: any of them


def _spec(hint) -> _Spec:
    optional = False
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional = len(args) < len(typing.get_args(hint))
        if len(args) > 1:
            options = tuple(_spec(a) for a in args)
            if any(o.kind is None for o in options):
                return _Spec(None, optional)
            return _Spec(object, optional, options=options)
        hint = args[0]
    origin = typing.get_origin(hint)
    if origin in (list, tuple, Iterable, set, frozenset):
        (item, *_rest) = typing.get_args(hint) or (None,)
        item = item if isinstance(item, type) else None
        return _Spec(origin, optional, item=item, container=True)
    if origin is not None:
        hint = origin
    if hint is Callable or hint is typing.Callable:
        # collections.abc.Callable is a class at runtime; the type checker sees a special form.
        return _Spec(typing.cast(type, Callable), optional)
    if hint is typing.Any or hint is dict or not isinstance(hint, type):
        # A dict of keywords: the service checks its keys and says what they should be.
        return _Spec(None, optional)
    return _Spec(hint, optional)


def _refuse(name: str, message: str) -> ValidationError:
    return ValidationError(message % {"field": label_for(name)}, code="invalid")


def _model_name(model: type[models.Model]) -> str:
    if model._meta.abstract:  # AbstractBaseUser: the project's user model
        from django.contrib.auth import get_user_model

        model = get_user_model()
    return str(model._meta.verbose_name)


def _check_model(name: str, value, model: type[models.Model], allow_unsaved: bool) -> None:
    # The message the services have always given ("Choose an existing customer."): the desk
    # picks a record, it does not type one.
    if not isinstance(value, model) or (value.pk is None and not allow_unsaved):
        raise ValidationError(
            _("Choose an existing %(model)s.") % {"model": _model_name(model)},
            code="invalid" if not isinstance(value, model) else "unsaved",
        )
    if allow_unsaved:
        return
    # An instance made by hand with a primary key (never read from the database): its row
    # must exist. Instances read from the database are not queried again.
    if value._state.adding and not type(value)._base_manager.filter(pk=value.pk).exists():
        raise _gone(name, value)


def _gone(name: str, value: models.Model) -> ValidationError:
    return ValidationError(
        _("Choose an existing %(model)s: this one no longer exists (reload the page).")
        % {"model": _model_name(type(value))},
        code="gone",
    )


def _check_value(name: str, value, spec: _Spec, allow_unsaved: bool) -> None:
    kind = spec.kind
    if kind is None or (value is None and spec.optional):
        return
    if spec.options:
        errors = []
        for option in spec.options:
            try:
                return _check_value(name, value, option, allow_unsaved)
            except ValidationError as exc:
                errors.append(exc)
        # The right class with a wrong content (a control character, an unsaved row) says
        # more than "wrong type".
        raise next((e for e in errors if e.code != "invalid"), errors[0])
    if spec.container:
        if isinstance(value, models.QuerySet):
            if spec.item is not None and not issubclass(value.model, spec.item):
                raise _refuse(name, _("%(field)s must be a list of the right records."))
            return  # rows of a query exist
        if isinstance(value, str | bytes | dict) or not isinstance(value, list | tuple | set):
            raise _refuse(name, _("%(field)s must be a list."))
        if spec.item is not None:
            for item in value:
                _check_value(name, item, _Spec(spec.item, False), allow_unsaved)
        return
    if isinstance(kind, type) and issubclass(kind, models.Model):
        _check_model(name, value, kind, allow_unsaved)
    elif kind is datetime:
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise _refuse(name, _("%(field)s must be a date and time with its time zone."))
    elif kind is date:
        if not isinstance(value, date) or isinstance(value, datetime):
            raise _refuse(name, _("%(field)s must be a date."))
    elif kind is time:
        if not isinstance(value, time):
            raise _refuse(name, _("%(field)s must be a time of day."))
    elif kind is bool:
        if not isinstance(value, bool):
            raise _refuse(name, _("%(field)s must be yes or no."))
    elif kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _refuse(name, _("%(field)s must be a whole number."))
    elif kind is Decimal:
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise _refuse(name, _("%(field)s must be an exact amount, for example 480.00."))
        if isinstance(value, Decimal) and not value.is_finite():
            raise _refuse(name, _("%(field)s must be an exact amount, for example 480.00."))
    elif kind is str:
        if not isinstance(value, str):
            raise _refuse(name, _("%(field)s must be text."))
        check_text(value, label=label_for(name), multiline=name in MULTI_LINE)
    elif kind is bytes:
        if not isinstance(value, bytes | bytearray):
            raise _refuse(name, _("%(field)s must be given as bytes."))
    elif kind is Callable:
        if not callable(value):
            raise _refuse(name, _("%(field)s has the wrong type."))
    elif not isinstance(value, kind):
        raise _refuse(name, _("%(field)s has the wrong type."))


def _row_gone(arguments: dict) -> tuple[str, models.Model] | None:
    """The first model argument whose row no longer exists (another desk removed it while
    this one was working), if any."""
    for name, value in arguments.items():
        if (
            isinstance(value, models.Model)
            and value.pk is not None
            and not type(value)._base_manager.filter(pk=value.pk).exists()
        ):
            return name, value
    return None


_P = typing.ParamSpec("_P")
_R = typing.TypeVar("_R")


# ``@service`` and ``@service(allow_unsaved=...)``: the service keeps its signature, so that
# the type checker checks its callers.
@typing.overload
def service(function: Callable[_P, _R], /) -> Callable[_P, _R]: ...
@typing.overload
def service(
    *, allow_unsaved: Iterable[str] = (), own_checks: Iterable[str] = ()
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]: ...
def service(
    function: Callable[..., typing.Any] | None = None,
    *,
    allow_unsaved: Iterable[str] = (),
    own_checks: Iterable[str] = (),
) -> typing.Any:
    """Check the arguments of a service against its type hints on every call.

    Wrong types, unsaved model instances, instances whose row does not exist and text with
    control characters are refused with a translated ``ValidationError`` before the service
    runs. When the service fails otherwise (``DoesNotExist``, an ``AttributeError`` on a
    row that vanished meanwhile), and a model argument's row is gone, the failure becomes
    that ``ValidationError`` too; any other failure is a bug and is raised as it is.
    ``allow_unsaved`` names arguments that may be new, unsaved instances (a check run
    before the first save); ``own_checks`` names arguments the service checks first itself,
    with a message that says more (``Give the modules as a list of module codes.``); text
    given for them is still checked for control characters.
    """
    if function is None:
        return functools.partial(service, allow_unsaved=allow_unsaved, own_checks=own_checks)
    unsaved = frozenset(allow_unsaved)
    skipped = frozenset(own_checks)
    signature = inspect.signature(function)
    specs: dict[str, _Spec] | None = None

    def compiled() -> dict[str, _Spec]:
        # Read once, on the first call: at import the module's later names do not exist yet.
        nonlocal specs
        if specs is None:
            hints = typing.get_type_hints(function)
            specs = {
                name: _spec(hints[name])
                for name, parameter in signature.parameters.items()
                if name in hints
                and name not in skipped
                and parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD)
            }
        return specs

    def check(kwargs: dict) -> None:
        checks = compiled()
        for name, value in kwargs.items():
            spec = checks.get(name)
            if spec is not None:
                _check_value(name, value, spec, name in unsaved)
            elif name in skipped and isinstance(value, str):
                # The service checks the type; what the text holds is checked here all the same.
                check_text(value, label=label_for(name), multiline=name in MULTI_LINE)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        check(kwargs)
        try:
            return function(*args, **kwargs)
        except ValidationError:
            raise
        except Exception as exc:
            try:
                gone = _row_gone(kwargs)
            except Exception:
                gone = None  # the connection is unusable: the first failure tells more
            if gone is not None:
                raise _gone(*gone) from exc
            raise

    # Read by the tests (every public service is guarded) and by the fuzz test; the checks
    # alone by check_arguments().
    wrapper.__dict__.update(
        __guarded__=True, __guard_allow_unsaved__=unsaved, __guard_check__=check
    )
    return wrapper


def check_arguments(function: Callable[..., typing.Any], /, **kwargs: typing.Any) -> None:
    """Check ``kwargs`` (some of the arguments of the guarded service ``function``) as a
    call of it would, without calling it: the same ``ValidationError``. For a caller that
    checks many rows before it writes them at once (the ERP import of new customers)."""
    function.__guard_check__(kwargs)  # type: ignore[attr-defined]
