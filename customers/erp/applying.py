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

import logging
from collections.abc import Callable
from datetime import date
from functools import partial

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import (
    Contact,
    Customer,
    HalfFareSubscription,
    Licence,
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
from .outcomes import (
    Outcome,
    attempt,
    changes,
    contact_of,
    create_new,
    matching,
    phone_e164,
    refuse,
    update_saved,
)
from .records import (
    ContactRecord,
    CustomerLines,
    CustomerRecord,
    LicenceRecord,
    Line,
    PeriodRecord,
    SpanRecord,
)
from .saved import Saved

logger = logging.getLogger(__name__)


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


def apply_customer(group: CustomerLines, *, dry_run: bool, chunk: Saved | None = None) -> None:
    """Apply the rows of one customer number; each line gets its outcome.

    ``chunk``: the saved rows of the customer's chunk, read at once; a customer whose rows
    they show all unchanged is done without a query (nothing to write, and so no
    transaction either).
    """
    if chunk is not None and _unchanged(group, chunk):
        return
    for line in group.lines:
        if line.value is None:
            line.outcome = Outcome.REFUSED
    try:
        with transaction.atomic():
            _Customer(group, Saved()).apply()  # the readable rows, even when others were refused
            refused = any(line.outcome == Outcome.REFUSED for line in group.lines)
            if refused or dry_run:
                transaction.set_rollback(True)
    except Exception:  # a fault, not a rule: this customer is left as it was, the others go on
        logger.exception("ERP import of customer %s failed", group.number)
        refused = True
        for line in group.lines:
            if line.outcome != Outcome.REFUSED:
                refuse(
                    line,
                    _("Customer %(number)s could not be imported: the error is logged.")
                    % {"number": group.number},
                )
    if refused:
        for line in group.lines:
            if line.outcome in (Outcome.NEW, Outcome.CHANGED, ""):
                line.outcome = Outcome.NOT_APPLIED
                line.message = _("Not applied: another row of customer %(number)s was refused.") % {
                    "number": group.number
                }


def _unchanged(group: CustomerLines, chunk: Saved) -> bool:
    """Whether the saved rows of ``chunk`` show every row of the group unchanged: then each
    line has that outcome; else the lines are left as they were."""
    if any(line.value is None for line in group.lines) or chunk.customer(group.number) is None:
        return False
    try:
        _Comparison(group, chunk).apply()
        unchanged = all(line.outcome == Outcome.UNCHANGED for line in group.lines)
    except Exception:  # _Write; a fault is met again, and logged, the per-customer way
        unchanged = False
    if not unchanged:
        for line in group.lines:
            line.outcome, line.changes, line.message = "", [], ""
    return unchanged


class _Customer:
    """The rows of one customer applied through the services (in its transaction)."""

    def __init__(self, group: CustomerLines, saved: Saved) -> None:
        self.group = group
        self.saved = saved
        self.customer: Customer = saved.customer(group.number)  # type: ignore[assignment]
        self.contacts: dict[str, Contact] = {}
        self.licences: dict[str, Licence] = {}

    # What writes: the services, each call in a savepoint (see ``outcomes``).

    def _create_new(self, line: Line, model, wanted: dict, write: Callable[[], object]) -> bool:
        return create_new(line, model, wanted, write)

    def _update_saved(self, line: Line, found: list, write: Callable[[], object]) -> None:
        update_saved(line, found, write)

    def _attempt(self, line: Line, write: Callable[[], object], outcome: str) -> bool:
        return attempt(line, write, outcome)

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
                    refuse(line, message)
            return False
        line, value = found[0]
        if self.customer is None:
            wanted = {name: getattr(value, name) for name in CUSTOMER_FIELDS}

            def create() -> None:
                self.customer = customer_create(number=self.group.number, **wanted)

            return self._create_new(line, Customer, wanted, create)
        customer = self.customer
        saved = {name: getattr(customer, name) for name in CUSTOMER_FIELDS}
        saved["phone"] = phone_e164(customer.phone)
        # What the file says; the rest as saved (a column the file does not have).
        wanted = {name: getattr(value, name) for name in CUSTOMER_FIELDS if name in value.given}
        self._update_saved(
            line,
            changes(Customer, saved, wanted),
            partial(customer_update, customer=customer, **{**saved, **wanted}),
        )
        return line.outcome != Outcome.REFUSED

    def _contacts(self) -> None:
        saved_contacts = self.saved.contacts(self.customer)
        self.contacts = {}
        for saved_contact in saved_contacts:  # Support+ names persons: the first of a name
            self.contacts.setdefault(search_key(saved_contact.name), saved_contact)
        for line, value in self.group.of(Record.CONTACT, ContactRecord):
            wanted = {name: getattr(value, name) for name in CONTACT_FIELDS}
            contact = contact_of(saved_contacts, value)
            if contact is None:

                def create(wanted=wanted) -> None:
                    made = contact_create(customer=self.customer, **wanted)
                    self.contacts.setdefault(search_key(made.name), made)

                self._create_new(line, Contact, wanted, create)
                continue
            saved = {name: getattr(contact, name) for name in CONTACT_FIELDS}
            saved["phone"] = phone_e164(contact.phone)
            wanted = {name: new for name, new in wanted.items() if name in value.given}
            self._update_saved(
                line,
                changes(Contact, saved, wanted),
                partial(contact_update, contact=contact, **{**saved, **wanted}),
            )

    # --- licences and rental periods -----------------------------------------------------

    def _licences(self) -> None:
        found = self.group.of(Record.LICENCE, LicenceRecord)
        numbers = [value.number for _line, value in found]
        saved = self.saved.licences_numbered(numbers)
        own = self.saved.licences_of(self.customer)
        self.licences = {str(licence.number): licence for licence in own if licence.number}
        unnumbered = sum(1 for licence in own if not licence.number)
        for line, value in found:
            licence = saved.get(value.number)
            if licence is None and unnumbered:
                # The desk's licence may be this one: entered again, its credit would be
                # granted twice.
                refuse(
                    line,
                    _(
                        "Customer %(customer)s has licences at the desk without an ERP"
                        " licence number: give them their numbers in the admin first, so"
                        " that licence %(number)s is not entered twice."
                    )
                    % {"customer": self.group.number, "number": value.number},
                )
            elif licence is None:

                def create(value=value) -> None:
                    made = licence_create(
                        customer=self.customer,
                        number=value.number,
                        kind=value.kind,
                        variant=value.variant,
                        modules=list(value.modules),
                    )
                    self.licences[value.number] = made

                brings = {"kind": value.kind, "variant": value.variant, "modules": value.modules}
                self._create_new(line, Licence, brings, create)
            elif licence.customer_id != self.customer.pk:
                refuse(
                    line,
                    _("Licence %(number)s belongs to customer %(other)s.")
                    % {"number": licence.number, "other": licence.customer.number},
                )
            elif licence.kind != value.kind:
                refuse(
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
                self._update_saved(
                    line,
                    changes(Licence, saved_values, wanted),
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
                refuse(
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
            period = matching(self.saved.periods(licence), value)
            if period is None:
                self._create_new(
                    line,
                    RentalPeriod,
                    wanted,
                    partial(rental_period_create, licence=licence, **wanted),
                )
                continue
            saved = {"start": period.start, "end": period.end, "annual_rent": period.annual_rent}
            self._update_saved(
                line,
                changes(RentalPeriod, saved, wanted),
                partial(rental_period_update, period=period, **wanted),
            )

    # --- subscriptions -------------------------------------------------------------------

    def _half_fare(self) -> None:
        saved = self.saved.half_fares(self.customer)
        for line, value in self.group.of(Record.HALF_FARE, SpanRecord):
            wanted = {"start": value.start, "end": value.end}
            subscription = matching(saved, value)
            if subscription is None:
                self._create_new(
                    line,
                    HalfFareSubscription,
                    wanted,
                    partial(half_fare_subscribe, customer=self.customer, **wanted),
                )
                continue
            old = {"start": subscription.start, "end": subscription.end}
            self._update_saved(
                line,
                changes(HalfFareSubscription, old, wanted),
                partial(half_fare_update, subscription=subscription, **wanted),
            )

    def _saved_support_plus(self) -> dict[date, SupportPlusSubscription]:
        rows = self.saved.support_plus(self.customer)
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
            line.changes = changes(
                SupportPlusSubscription, {"end": subscription.end}, {"end": value.end}
            )
            self._attempt(
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
                    self._attempt(
                        line,
                        partial(support_plus_end_check, subscription=subscription, end=value.end),
                        Outcome.CHANGED,
                    )
                continue
            if matching(list(saved.values()), value) is not None:  # a start moved
                refuse(line, _support_plus_kept_message())
                continue
            registered = self._persons(line, value)
            if registered is None:
                continue
            self._create_new(
                line,
                SupportPlusSubscription,
                {"start": value.start, "end": value.end, "registered": value.persons},
                partial(
                    support_plus_subscribe,
                    customer=self.customer,
                    start=value.start,
                    end=value.end,
                    registered=registered,
                ),
            )

    def _persons(self, line: Line, value: SpanRecord) -> list[Contact] | None:
        persons = []
        for name in value.persons:
            contact = self.contacts.get(search_key(name))
            if contact is None:
                refuse(
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
        saved = self.saved.registered(subscription)
        if value.persons and [search_key(name) for name in value.persons] != saved:
            refuse(line, _support_plus_kept_message())
            return False
        return True


def _support_plus_kept_message() -> str:
    return _(
        "A Support+ subscription keeps its start and its registered persons: end it and"
        " take a new one at the desk."
    )


class _Write(Exception):
    """A row that would be written: not a comparison's business."""


class _Comparison(_Customer):
    """The rows of one customer compared with saved rows read beforehand: it ends, with
    :class:`_Write`, where a service would write."""

    def _create_new(self, line: Line, model, wanted: dict, write: Callable[[], object]) -> bool:
        raise _Write

    def _update_saved(self, line: Line, found: list, write: Callable[[], object]) -> None:
        if found:
            raise _Write
        super()._update_saved(line, found, write)  # unchanged: writes nothing

    def _attempt(self, line: Line, write: Callable[[], object], outcome: str) -> bool:
        raise _Write
