"""One customer's rows applied through the desk's services, all or nothing.

Every write goes through the service the desk uses (so every rule of DESIGN §1 holds: the
credit follows a rental period, a change that would take back used credit is refused, a
Support+ subscription keeps its profi licence). Each call runs in its own savepoint: a
refused row does not stop the others from being checked, so the report gives every reason
at once; then the customer's transaction is rolled back when any row was refused, and on
a dry run always.

Keys: the customer by its number, a contact by its name (without case and accents), a
licence by the ERP's licence number, a rental period by its licence and start (or the one
saved period of that licence it overlaps: a start moved), a subscription by its start (or
the one it overlaps). The import never deletes what the file leaves out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from q3helpdesk.ui.tables import amount_text

from ..models import (
    Contact,
    Customer,
    HalfFareSubscription,
    Licence,
    LicenceVariant,
    RentalPeriod,
    SupportPlusSubscription,
)
from ..models.keys import search_key

# From the modules, not the package: the package's ``erp_import`` imports this module.
from ..services.customers import contact_create, contact_update, customer_create, customer_update
from ..services.licences import (
    licence_create,
    licence_update,
    rental_period_create,
    rental_period_update,
)
from ..services.subscriptions import (
    half_fare_subscribe,
    half_fare_update,
    support_plus_end,
    support_plus_end_check,
    support_plus_subscribe,
)
from .columns import Record
from .records import (
    ContactRecord,
    CustomerLines,
    CustomerRecord,
    LicenceRecord,
    Line,
    PeriodRecord,
    SpanRecord,
)


class Outcome(models.TextChoices):
    NEW = "new", gettext_lazy("new")
    CHANGED = "changed", gettext_lazy("changed")
    UNCHANGED = "unchanged", gettext_lazy("unchanged")
    REFUSED = "refused", gettext_lazy("refused")
    NOT_APPLIED = "not_applied", gettext_lazy("not applied")


CUSTOMER_FIELDS = (
    "name",
    "street",
    "house_number",
    "postcode",
    "city",
    "country",
    "language",
    "email",
    "phone",
)
CONTACT_FIELDS = ("name", "email", "phone", "role", "language")


def apply_customer(group: CustomerLines, *, dry_run: bool) -> None:
    """Apply the rows of one customer number; each line gets its outcome."""
    for line in group.lines:
        if line.value is None:
            line.outcome = Outcome.REFUSED
    with transaction.atomic():
        _Customer(group).apply()  # the readable rows, even when others were refused
        refused = any(line.outcome == Outcome.REFUSED for line in group.lines)
        if refused or dry_run:
            transaction.set_rollback(True)
    if refused:
        for line in group.lines:
            if line.outcome in (Outcome.NEW, Outcome.CHANGED, ""):
                line.outcome = Outcome.NOT_APPLIED
                line.message = _("Not applied: another row of customer %(number)s was refused.") % {
                    "number": group.number
                }


def _attempt(line: Line, write: Callable[[], object], outcome: str) -> bool:
    """Run one service call in a savepoint; the line is refused with its reasons when the
    service refuses."""
    try:
        with transaction.atomic():
            write()
    except ValidationError as exc:
        line.outcome, line.message = Outcome.REFUSED, " ".join(exc.messages)
        return False
    line.outcome = outcome
    return True


def _refuse(line: Line, message: str) -> None:
    line.outcome, line.message = Outcome.REFUSED, message


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "as_e164"):
        return value.as_e164
    return str(value)


def _changes(model, saved: dict, wanted: dict) -> list[tuple[str, str, str]]:
    """(field, old, new) for each field whose value the file changes, in words."""
    changes = []
    for name, new in wanted.items():
        old = saved[name]
        if old == new or (name == "modules" and sorted(old) == sorted(new)):
            continue
        label = str(model._meta.get_field(name).verbose_name)
        if name == "annual_rent":
            changes.append((label, amount_text(old), amount_text(new)))
        elif name == "variant":
            changes.append((label, str(LicenceVariant(old).label), str(LicenceVariant(new).label)))
        else:
            changes.append((label, _shown(old), _shown(new)))
    return changes


def _phone(value) -> str:
    return value.as_e164 if value else ""


def _update(line: Line, changes: list[tuple[str, str, str]], write: Callable[[], object]) -> None:
    """A saved row the file names: unchanged, or changed through ``write``."""
    line.changes = changes
    if not changes:
        line.outcome = Outcome.UNCHANGED
        return
    _attempt(line, write, Outcome.CHANGED)


class _Customer:
    def __init__(self, group: CustomerLines) -> None:
        self.group = group
        self.customer: Customer = Customer.objects.filter(number=group.number).first()  # type: ignore[assignment]
        self.contacts: dict[str, Contact] = {}
        self.licences: dict[str, Licence] = {}

    def apply(self) -> None:
        if not self._customer():
            return
        self._contacts()
        self._support_plus_shortened()
        self._licences()
        self._periods()
        self._half_fare()
        self._support_plus()

    # --- the customer and its contacts ---------------------------------------------------

    def _customer(self) -> bool:
        found = self.group.of(Record.CUSTOMER, CustomerRecord)
        if not found:
            if self.customer is not None:
                return True
            if any(line.record == Record.CUSTOMER for line in self.group.lines):
                return False  # its row was refused: the others are not applied
            message = _(
                "Customer %(number)s is neither at the desk nor in the file (a customer row)."
            ) % {"number": self.group.number}
            for line in self.group.lines:
                if line.outcome != Outcome.REFUSED:
                    _refuse(line, message)
            return False
        line, value = found[0]
        wanted = {name: getattr(value, name) for name in CUSTOMER_FIELDS}
        if self.customer is None:

            def create() -> None:
                self.customer = customer_create(number=self.group.number, **wanted)

            return _attempt(line, create, Outcome.NEW)
        customer = self.customer
        saved = {name: getattr(customer, name) for name in CUSTOMER_FIELDS}
        saved["phone"] = _phone(customer.phone)
        _update(
            line,
            _changes(Customer, saved, wanted),
            partial(customer_update, customer=customer, **wanted),
        )
        return line.outcome != Outcome.REFUSED

    def _contacts(self) -> None:
        contacts = Contact.objects.filter(customer=self.customer)
        self.contacts = {search_key(contact.name): contact for contact in contacts}
        for line, value in self.group.of(Record.CONTACT, ContactRecord):
            wanted = {name: getattr(value, name) for name in CONTACT_FIELDS}
            contact = self.contacts.get(search_key(value.name))
            if contact is None:

                def create(wanted=wanted) -> None:
                    made = contact_create(customer=self.customer, **wanted)
                    self.contacts[search_key(made.name)] = made

                _attempt(line, create, Outcome.NEW)
                continue
            saved = {name: getattr(contact, name) for name in CONTACT_FIELDS}
            saved["phone"] = _phone(contact.phone)
            _update(
                line,
                _changes(Contact, saved, wanted),
                partial(contact_update, contact=contact, **wanted),
            )

    # --- licences and rental periods -----------------------------------------------------

    def _licences(self) -> None:
        found = self.group.of(Record.LICENCE, LicenceRecord)
        numbers = [value.number for _line, value in found]
        saved = {
            licence.number: licence
            for licence in Licence.objects.filter(number__in=numbers)
            .select_related("customer")
            .prefetch_related("modules")
        }
        self.licences = {
            str(licence.number): licence
            for licence in Licence.objects.filter(customer=self.customer, number__isnull=False)
        }
        for line, value in found:
            licence = saved.get(value.number)
            if licence is None:

                def create(value=value) -> None:
                    made = licence_create(
                        customer=self.customer,
                        number=value.number,
                        kind=value.kind,
                        variant=value.variant,
                        modules=list(value.modules),
                    )
                    self.licences[value.number] = made

                _attempt(line, create, Outcome.NEW)
            elif licence.customer_id != self.customer.pk:
                _refuse(
                    line,
                    _("Licence %(number)s belongs to customer %(other)s.")
                    % {"number": licence.number, "other": licence.customer.number},
                )
            elif licence.kind != value.kind:
                _refuse(
                    line,
                    _(
                        "Licence %(number)s is a %(kind)s licence at the desk; a licence"
                        " does not change its kind: enter the new one under a new number."
                    )
                    % {"number": licence.number, "kind": licence.get_kind_display()},
                )
            else:
                saved_values = {
                    "variant": licence.variant,
                    "modules": tuple(module.code for module in licence.modules.all()),
                }
                wanted = {"variant": value.variant, "modules": value.modules}
                _update(
                    line,
                    _changes(Licence, saved_values, wanted),
                    partial(
                        licence_update,
                        licence=licence,
                        variant=value.variant,
                        modules=list(value.modules),
                    ),
                )

    def _periods(self) -> None:
        for line, value in self.group.of(Record.PERIOD, PeriodRecord):
            licence = self.licences.get(value.licence_number)
            if licence is None:
                _refuse(
                    line,
                    _(
                        "Licence %(number)s of customer %(customer)s is neither at the desk"
                        " nor in the file."
                    )
                    % {"number": value.licence_number, "customer": self.group.number},
                )
                continue
            wanted: dict = {
                "start": value.start,
                "end": value.end,
                "annual_rent": value.annual_rent,
            }
            period = _matching(list(RentalPeriod.objects.filter(licence=licence)), value)
            if period is None:
                _attempt(
                    line,
                    partial(rental_period_create, licence=licence, **wanted),
                    Outcome.NEW,
                )
                continue
            saved = {"start": period.start, "end": period.end, "annual_rent": period.annual_rent}
            _update(
                line,
                _changes(RentalPeriod, saved, wanted),
                partial(rental_period_update, period=period, **wanted),
            )

    # --- subscriptions -------------------------------------------------------------------

    def _half_fare(self) -> None:
        saved = list(HalfFareSubscription.objects.filter(customer=self.customer))
        for line, value in self.group.of(Record.HALF_FARE, SpanRecord):
            wanted = {"start": value.start, "end": value.end}
            subscription = _matching(saved, value)
            if subscription is None:
                _attempt(
                    line,
                    partial(half_fare_subscribe, customer=self.customer, **wanted),
                    Outcome.NEW,
                )
                continue
            old = {"start": subscription.start, "end": subscription.end}
            _update(
                line,
                _changes(HalfFareSubscription, old, wanted),
                partial(half_fare_update, subscription=subscription, **wanted),
            )

    def _saved_support_plus(self) -> dict[date, SupportPlusSubscription]:
        rows = SupportPlusSubscription.objects.filter(customer=self.customer)
        return {subscription.start: subscription for subscription in rows}

    def _support_plus_shortened(self) -> None:
        """Support+ subscriptions the file ends earlier are ended first: a licence or a
        half-fare the file then takes away may need that (R7)."""
        saved = self._saved_support_plus()
        for line, value in self.group.of(Record.SUPPORT_PLUS, SpanRecord):
            subscription = saved.get(value.start)
            if subscription is None or value.end >= subscription.end:
                continue
            if not self._same_persons(line, value, subscription):
                continue
            line.changes = _changes(
                SupportPlusSubscription, {"end": subscription.end}, {"end": value.end}
            )
            _attempt(
                line,
                partial(support_plus_end, subscription=subscription, end=value.end),
                Outcome.CHANGED,
            )

    def _support_plus(self) -> None:
        saved = self._saved_support_plus()
        for line, value in self.group.of(Record.SUPPORT_PLUS, SpanRecord):
            if line.outcome:  # ended earlier above, or refused there
                continue
            subscription = saved.get(value.start)
            if subscription is not None:
                if not self._same_persons(line, value, subscription):
                    continue
                if value.end == subscription.end:
                    line.outcome = Outcome.UNCHANGED
                else:  # a longer term: refused with the service's own reason
                    _attempt(
                        line,
                        partial(support_plus_end_check, subscription=subscription, end=value.end),
                        Outcome.CHANGED,
                    )
                continue
            if _matching(list(saved.values()), value) is not None:  # a start moved
                _refuse(line, _support_plus_kept_message())
                continue
            registered = self._persons(line, value)
            if registered is None:
                continue
            _attempt(
                line,
                partial(
                    support_plus_subscribe,
                    customer=self.customer,
                    start=value.start,
                    end=value.end,
                    registered=registered,
                ),
                Outcome.NEW,
            )

    def _persons(self, line: Line, value: SpanRecord) -> list[Contact] | None:
        persons = []
        for name in value.persons:
            contact = self.contacts.get(search_key(name))
            if contact is None:
                _refuse(
                    line,
                    _("%(name)s is not a contact of customer %(number)s.")
                    % {"name": name, "number": self.group.number},
                )
                return None
            persons.append(contact)
        return persons

    def _same_persons(
        self, line: Line, value: SpanRecord, subscription: SupportPlusSubscription
    ) -> bool:
        """A row that names the registered persons names the saved ones (the file may
        leave them out of an existing subscription)."""
        registrations = subscription.registrations.select_related("contact").order_by("position")
        saved = [search_key(registration.contact.name) for registration in registrations]
        if value.persons and [search_key(name) for name in value.persons] != saved:
            _refuse(line, _support_plus_kept_message())
            return False
        return True


def _support_plus_kept_message() -> str:
    return _(
        "A Support+ subscription keeps its start and its registered persons: end it and"
        " take a new one at the desk."
    )


def _matching(saved: list, value: PeriodRecord | SpanRecord):
    """The saved row (a period, a subscription) that starts on the value's start, or else
    the only one that overlaps its term; None when there is none (a new one)."""
    for row in saved:
        if row.start == value.start:
            return row
    overlapping = [row for row in saved if row.start <= value.end and value.start <= row.end]
    return overlapping[0] if len(overlapping) == 1 else None
