"""New customers of an ERP file written at once: the first load of a customer base.

Row by row through the services, a customer with its licence and periods costs some ninety
queries, most of them checks against rows that cannot exist yet and the credit derived
once per period. A customer whose number the desk does not have yet, and whose rows all
pass, is therefore written with the other new customers of its chunk at once: the same
rows with the same values and history records, the credit derived by the ledger once per
chunk (``ledger().sync_new``), the same report — in a number of queries that does not
grow with the customers.

"Pass" is decided in memory by the services' own checks: each service's guard
(``check_arguments``), the values built by the services' helpers, ``full_clean``. The
checks that need other rows hold by construction: the customer number and the licence
numbers are not saved (one query each per chunk; the unique constraints refuse one saved
meanwhile), the rows a new customer brings overlap no other (periods of one licence,
half-fare subscriptions), a period names a licence of the customer's rows. Whatever is not
sure to pass goes the per-customer way (``applying.apply_customer``): a saved customer, a
row refused or in doubt, a Support+ subscription (its capacity counts every customer's);
so every refusal is the services' own, with their message. A chunk that cannot be written
(a customer created at the desk meanwhile) goes the per-customer way whole.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from simple_history.utils import bulk_create_with_history

from q3helpdesk.guards import check_arguments

from ..credit import ledger
from ..models import Contact, Customer, HalfFareSubscription, Licence, Module, RentalPeriod

# The services' own helpers, so that a row is built and checked as the service does it.
from ..services._common import _require_span
from ..services.customers import (
    _contact_fields,
    _customer_unsaved,
    contact_create,
    customer_create,
)
from ..services.licences import (
    _licence_unsaved,
    _modules,
    _require_rent,
    licence_create,
    rental_period_create,
)
from ..services.subscriptions import half_fare_subscribe
from .applying import CONTACT_FIELDS, CUSTOMER_FIELDS
from .columns import Record
from .outcomes import Outcome, brought
from .records import (
    ContactRecord,
    CustomerLines,
    CustomerRecord,
    LicenceRecord,
    Line,
    PeriodRecord,
    SpanRecord,
)

logger = logging.getLogger(__name__)

CHUNK = 500  # customers per transaction: a few dozen queries each, a short write lock
# The records a new customer written at once may have (not Support+: see above).
BULK_RECORDS = frozenset(
    {Record.CUSTOMER, Record.CONTACT, Record.LICENCE, Record.PERIOD, Record.HALF_FARE}
)


@dataclass
class _NewCustomer:
    """A new customer's rows, built and checked, ready to be written."""

    group: CustomerLines
    customer: Customer
    contacts: list[Contact] = field(default_factory=list)
    licences: list[tuple[Licence, list[Module]]] = field(default_factory=list)
    periods: list[RentalPeriod] = field(default_factory=list)
    half_fares: list[HalfFareSubscription] = field(default_factory=list)
    # Each line with what it brings, as the report lists it.
    brings: list[tuple[Line, list[tuple[str, str, str]]]] = field(default_factory=list)


def apply_new_customers(groups: list[CustomerLines], *, dry_run: bool) -> list[CustomerLines]:
    """Apply at once the customers of ``groups`` (a chunk of the file) that are new and
    whose rows all pass; each of their lines gets its outcome. Returns the other groups,
    in the file's order, for the per-customer way."""
    readable = [group for group in groups if _may_be_new(group)]
    if not readable:
        return groups
    saved = set(
        Customer.objects.filter(number__in=[g.number for g in readable]).values_list(
            "number", flat=True
        )
    )
    readable = [group for group in readable if group.number not in saved]
    if not readable:
        return groups
    numbers = {
        value.number
        for group in readable
        for _line, value in group.of(Record.LICENCE, LicenceRecord)
    }
    taken = set(Licence.objects.filter(number__in=numbers).values_list("number", flat=True))
    modules = {module.code: module for module in Module.objects.all()}
    new = []
    for group in readable:
        if any(value.number in taken for _line, value in group.of(Record.LICENCE, LicenceRecord)):
            continue  # refused by the services (another customer's licence)
        try:
            new.append(_checked(group, modules))
        except (ValidationError, _InDoubt):
            pass  # the services say why, the per-customer way
        except Exception:  # a fault: the per-customer way meets it again and reports it
            logger.debug("ERP import: customer %s checked one by one", group.number, exc_info=True)
    if not new:
        return groups
    if not dry_run:
        try:
            with transaction.atomic():
                _write(new)
        except IntegrityError:
            # A customer or a licence number saved meanwhile (another desk): the services
            # say which, one customer at a time.
            logger.warning("ERP import: new customers written one by one", exc_info=True)
            return groups
        except Exception:
            logger.exception("ERP import: new customers could not be written at once")
            return groups
    for customer in new:
        for line, changes in customer.brings:
            line.outcome, line.changes = Outcome.NEW, changes
    done = {id(customer.group) for customer in new}
    return [group for group in groups if id(group) not in done]


class _InDoubt(Exception):
    """A row whose outcome needs the per-customer way (another row of the customer)."""


def _may_be_new(group: CustomerLines) -> bool:
    return (
        all(line.value is not None and line.record in BULK_RECORDS for line in group.lines)
        and len(group.of(Record.CUSTOMER, CustomerRecord)) == 1
    )


def _clean(instance: models.Model, parent: str) -> None:
    """``full_clean`` but for what needs other rows: the parent (written just before),
    uniqueness (see the module's docstring) and the check constraints (the service's
    checks before refuse the same values: an end before the start, a negative rent)."""
    instance.full_clean(exclude=[parent], validate_unique=False, validate_constraints=False)


def _overlaps(spans: list, start, end) -> bool:
    return any(other.start <= end and start <= other.end for other in spans)


def _checked(group: CustomerLines, modules: dict[str, Module]) -> _NewCustomer:
    """The new customer's rows as the services would write them (``applying._Customer``
    for a customer the desk does not have); ``ValidationError`` or ``_InDoubt`` when a
    row might not pass."""
    ((line, value),) = group.of(Record.CUSTOMER, CustomerRecord)
    wanted = {name: getattr(value, name) for name in CUSTOMER_FIELDS}
    check_arguments(customer_create, number=group.number, **wanted)
    customer = _customer_unsaved(number=group.number, **wanted)
    customer.full_clean(validate_unique=False, validate_constraints=False)
    new = _NewCustomer(group, customer, brings=[(line, brought(Customer, wanted))])

    for line, contact_value in group.of(Record.CONTACT, ContactRecord):
        wanted = {name: getattr(contact_value, name) for name in CONTACT_FIELDS}
        check_arguments(contact_create, **wanted)
        contact = Contact(customer=customer, **_contact_fields(**wanted))
        _clean(contact, "customer")
        new.contacts.append(contact)
        new.brings.append((line, brought(Contact, wanted)))

    licences: dict[str, Licence] = {}
    for line, licence_value in group.of(Record.LICENCE, LicenceRecord):
        kind, variant, codes = licence_value.kind, licence_value.variant, licence_value.modules
        check_arguments(
            licence_create, number=licence_value.number, kind=kind, variant=variant, modules=codes
        )
        chosen = _modules(list(codes), known=modules)
        licence = _licence_unsaved(
            customer=customer, variant=variant, kind=kind, number=licence_value.number
        )
        _clean(licence, "customer")
        licences[licence_value.number] = licence
        new.licences.append((licence, chosen))
        brings = {"kind": kind, "variant": variant, "modules": codes}
        new.brings.append((line, brought(Licence, brings)))

    for line, period_value in group.of(Record.PERIOD, PeriodRecord):
        owner = licences.get(period_value.licence_number)
        if owner is None:
            raise _InDoubt  # refused: a licence neither saved nor in the rows
        wanted = {
            "start": period_value.start,
            "end": period_value.end,
            "annual_rent": period_value.annual_rent,
        }
        check_arguments(rental_period_create, **wanted)
        start, end = _require_span(period_value.start, period_value.end)
        _require_rent(period_value.annual_rent)
        siblings = [p for p in new.periods if p.licence is owner]
        if _overlaps(siblings, start, end):
            raise _InDoubt  # the services take it for a change of the other, or refuse it
        period = RentalPeriod(
            licence=owner, start=start, end=end, annual_rent=wanted["annual_rent"]
        )
        _clean(period, "licence")
        new.periods.append(period)
        new.brings.append((line, brought(RentalPeriod, wanted)))

    for line, span in group.of(Record.HALF_FARE, SpanRecord):
        wanted = {"start": span.start, "end": span.end}
        check_arguments(half_fare_subscribe, **wanted)
        start, end = _require_span(span.start, span.end)
        if _overlaps(new.half_fares, start, end):
            raise _InDoubt  # refused: subscriptions of one customer never overlap
        subscription = HalfFareSubscription(customer=customer, start=start, end=end)
        _clean(subscription, "customer")
        new.half_fares.append(subscription)
        new.brings.append((line, brought(HalfFareSubscription, wanted)))
    return new


def _write(new: list[_NewCustomer]) -> None:
    """Write the checked rows as the services would (history records included: the user is
    the one the import runs for), then derive their credit."""
    # bulk_create takes each parent's id, the parents being written first.
    customers = [n.customer for n in new]
    for customer in customers:
        customer.set_name_keys()
    bulk_create_with_history(customers, Customer)
    contacts = [contact for n in new for contact in n.contacts]
    for contact in contacts:
        contact.set_name_keys()
    bulk_create_with_history(contacts, Contact)
    _write_licences([pair for n in new for pair in n.licences])
    periods = [period for n in new for period in n.periods]
    bulk_create_with_history(periods, RentalPeriod)
    half_fares = [subscription for n in new for subscription in n.half_fares]
    bulk_create_with_history(half_fares, HalfFareSubscription)
    ledger().sync_new(customers=customers)


def _write_licences(licences: list[tuple[Licence, list[Module]]]) -> None:
    """Licences as ``licence_create`` leaves them: the licence saved (a history record
    without modules), then its modules set (a second record, "changed", with them)."""
    bulk_create_with_history([licence for licence, _chosen in licences], Licence)
    link = Licence.modules.through
    links = link.objects.bulk_create(
        [link(licence=licence, module=module) for licence, chosen in licences for module in chosen]
    )
    changed = Licence.history.bulk_history_create(
        [licence for licence, _chosen in licences], update=True, default_change_reason=None
    )
    record_of = {record.id: record for record in changed}
    history_link = next(
        rel.related_model
        for rel in Licence.history.model._meta.related_objects
        if rel.field.name == "history"
    )
    history_link.objects.bulk_create(
        [
            history_link(
                history=record_of[row.licence_id],
                id=row.id,
                licence_id=row.licence_id,
                module_id=row.module_id,
            )
            for row in links
        ]
    )
