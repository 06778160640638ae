"""Invoice drafts: built per customer and period, trimmed, discarded, or queued as a run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Contact, Customer, HalfFareSubscription, SupportPlusSubscription
from q3helpdesk.guards import service

from ..models import (
    Invoice,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceLineUsage,
    InvoiceRun,
    InvoiceRunStatus,
    InvoiceStatus,
    Tariff,
    Usage,
)
from ..rules import line_amount
from ..selectors import tariff_in_force
from ._common import (
    _claimed,
    _copy_debtor,
    _lock_draft,
    _refresh_totals,
    _require_draft,
    _tariff_or_none,
    _tasks,
    _unbilled_usages,
)


def _check_period(period_start, period_end) -> None:
    for day in (period_start, period_end):
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValidationError(_("Give the period as two dates."))
    if period_end < period_start:
        raise ValidationError(_("The end of the period cannot be before its start."))
    if (period_end - period_start).days > 366:
        raise ValidationError(_("An invoice period is at most one year long."))


def _customer_ids(customers) -> list[int] | None:
    if customers is None:
        return None
    if isinstance(customers, str | bytes | dict) or not isinstance(customers, Iterable):
        raise ValidationError(_("Choose existing customers to invoice."))
    ids = []
    for customer in customers:
        if not isinstance(customer, Customer) or customer.pk is None:
            raise ValidationError(_("Choose existing customers to invoice."))
        ids.append(customer.pk)
    return ids


def _claimed_lines():
    return InvoiceLine.objects.filter(invoice__in=Invoice.objects.claiming())


def _fees_due(period_start: date, period_end: date):
    """Support+ and half-fare subscriptions starting by the period's end, not yet invoiced."""
    claimed = _claimed_lines()
    support_plus = SupportPlusSubscription.objects.filter(start__lte=period_end).exclude(
        pk__in=claimed.filter(support_plus__isnull=False).values("support_plus_id")
    )
    half_fare = HalfFareSubscription.objects.filter(start__lte=period_end).exclude(
        pk__in=claimed.filter(half_fare_subscription__isnull=False).values(
            "half_fare_subscription_id"
        )
    )
    return support_plus, half_fare


@service(own_checks=("period_start", "period_end", "customers"))
def invoice_drafts(
    *,
    period_start: date,
    period_end: date,
    customers: Iterable[Customer] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Invoice]:
    """Build (or rebuild) one draft per customer with anything billable in the period.

    Billable usages of the period that no draft or issued invoice holds, Support+
    subscriptions starting in the period (R7 prices) and half-fare subscriptions when the
    tariff prices them. The customer's earlier drafts for the same period are rebuilt, so
    running it again refreshes them; a usage is never on two drafts or invoices, because
    each customer's row is locked while its draft is built (as when time is posted).
    ``progress(done, total)`` is called after each customer.
    """
    _check_period(period_start, period_end)
    ids = _customer_ids(customers)
    vat_rate = tariff_in_force(on=period_end).vat_rate  # a clear error before the first tariff
    before = _tariff_or_none(period_start)
    vat_changes = next(
        (
            tariff
            for tariff in Tariff.objects.filter(
                valid_from__gt=period_start, valid_from__lte=period_end
            ).order_by("valid_from")
            if before is not None and tariff.vat_rate != before.vat_rate
        ),
        None,
    )
    if vat_changes is not None:
        raise ValidationError(
            _(
                "The VAT rate changes within this period (on %(day)s); invoice the time"
                " before and after that day separately."
            )
            % {"day": f"{vat_changes.valid_from:%d.%m.%Y}"}
        )

    support_plus, half_fare = _fees_due(period_start, period_end)
    candidates = (
        set(
            _unbilled_usages(period_start, period_end)
            .values_list("customer_id", flat=True)
            .distinct()
        )
        | set(support_plus.values_list("customer_id", flat=True))
        | set(half_fare.values_list("customer_id", flat=True))
        | set(
            Invoice.objects.filter(
                status=InvoiceStatus.DRAFT, period_start=period_start, period_end=period_end
            ).values_list("customer_id", flat=True)
        )
    )
    if ids is not None:
        candidates &= set(ids)
    drafts = []
    total = len(candidates)
    for done, customer_id in enumerate(sorted(candidates), start=1):
        draft = _draft_for_customer(customer_id, period_start, period_end, vat_rate)
        if draft is not None:
            drafts.append(draft)
        if progress is not None:
            progress(done, total)
    return drafts


@transaction.atomic
def _draft_for_customer(
    customer_id: int, period_start: date, period_end: date, vat_rate: Decimal
) -> Invoice | None:
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    Invoice.objects.filter(
        customer=customer,
        status=InvoiceStatus.DRAFT,
        period_start=period_start,
        period_end=period_end,
    ).delete()
    lines = _work_lines(customer, period_start, period_end) + _fee_lines(
        customer, period_start, period_end
    )
    if not lines:
        return None
    invoice = Invoice(
        customer=customer,
        period_start=period_start,
        period_end=period_end,
        vat_rate=vat_rate,
    )
    _copy_debtor(invoice, customer)
    invoice.save()
    line_usages = []
    for position, (line, usage_ids) in enumerate(lines, start=1):
        line.invoice = invoice
        line.position = position
        line.save()
        line_usages += [InvoiceLineUsage(line=line, usage_id=u.pk) for u in usage_ids]
    InvoiceLineUsage.objects.bulk_create(line_usages)
    _refresh_totals(invoice)
    return invoice


def _work_lines(customer: Customer, period_start: date, period_end: date):
    """One line per case, activity and rate: the case's unbilled postings of the period.

    The credit minutes of the case's other postings in the period are shown with it, for
    information; only postings with billable minutes are held by the line.
    """
    billable = list(_unbilled_usages(period_start, period_end).filter(customer=customer))
    if not billable:
        return []
    keys = {(u.work_ref, u.activity, u.rate) for u in billable}
    info = (
        Usage.objects.filter(
            customer=customer,
            performed_on__gte=period_start,
            performed_on__lte=period_end,
            billable_minutes=0,
            work_ref__in={key[0] for key in keys},
        )
        .exclude(_claimed())
        .only("work_ref", "activity", "rate", "charged_minutes", "credit_minutes")
    )
    contacts: dict[int, str] = dict(
        Contact.objects.filter(pk__in={u.contact_id for u in billable if u.contact_id}).values_list(
            "pk", "name"
        )
    )
    return work_lines(sorted(billable, key=lambda u: (u.performed_on, u.pk)), info, contacts)


def work_lines(
    billable: list[Usage], info: Iterable[Usage], contacts: dict[int, str]
) -> list[tuple[InvoiceLine, list[Usage]]]:
    """Pure: the work lines of a draft (unsaved, without position) with the usages each
    holds. ``billable`` are the customer's unbilled postings with billable minutes, in the
    order they were posted (day, then id); ``info`` its other unclaimed postings of the
    period without billable minutes (their credit is shown on the line of their case);
    ``contacts`` the names of the contacts by id. The bulk demo seeding uses it too.
    """
    groups: dict[tuple, list[Usage]] = {}
    for usage in billable:
        groups.setdefault((usage.work_ref, usage.activity, usage.rate), []).append(usage)
    extra: dict[tuple, list[Usage]] = {}
    for usage in info:
        key = (usage.work_ref, usage.activity, usage.rate)
        if key in groups:
            extra.setdefault(key, []).append(usage)
    lines = []
    for (work_ref, activity, rate), usages in groups.items():
        shown = usages + extra.get((work_ref, activity, rate), [])
        billable_minutes = sum(u.billable_minutes for u in usages)
        if billable_minutes == 0:
            continue  # a posting and its reversal: nothing to bill
        # R12 on the line itself (the ledger's amounts step on the case's running total,
        # which differs by a centime when a case is billed over two periods).
        amount = line_amount(billable_minutes, rate)
        originals = [u for u in usages if not u.is_reversal] or usages
        last_contact = next((u.contact_id for u in reversed(originals) if u.contact_id), None)
        line = InvoiceLine(
            kind=InvoiceLineKind.WORK,
            work_ref=work_ref,
            activity=activity,
            text=originals[0].label or work_ref,
            contact_name=contacts.get(last_contact, "") if last_contact is not None else "",
            first_day=min(u.performed_on for u in usages),
            last_day=max(u.performed_on for u in usages),
            charged_minutes=sum(u.charged_minutes for u in shown),
            credit_minutes=sum(u.credit_minutes for u in shown),
            billable_minutes=billable_minutes,
            rate=rate,
            half_fare=originals[0].half_fare,
            amount=amount,
        )
        lines.append((line, usages))
    return lines


def _fee_lines(customer: Customer, period_start: date, period_end: date):
    support_plus, half_fare = _fees_due(period_start, period_end)
    subscriptions = support_plus.filter(customer=customer).prefetch_related("registered")
    return fee_lines(
        language=customer.language,
        support_plus=[(s, list(s.registered.all())) for s in subscriptions.order_by("start")],
        half_fare=list(half_fare.filter(customer=customer).order_by("start")),
        tariff_on=_tariff_or_none,
    )


def fee_lines(
    *,
    language: str,
    support_plus: list[tuple[SupportPlusSubscription, list[Contact]]],
    half_fare: list[HalfFareSubscription],
    tariff_on: Callable[[date], Tariff | None],
) -> list[tuple[InvoiceLine, list[Usage]]]:
    """Pure: the fee lines (unsaved) of the subscriptions due, in the customer's
    ``language``: each Support+ subscription (in order of start) with its registered
    persons (R7 prices), then each half-fare subscription when the tariff prices it.
    ``tariff_on(day)`` is the tariff in force on a day (None before the first one).
    """
    # Each text is copied in the customer's (the invoice's) language and says what the fee
    # is for: which subscription, whose (the additional persons by name), which term.
    # (Imported here: only this function of the module writes texts in another language.)
    from django.utils import translation
    from django.utils.translation import ngettext

    lines: list[tuple[InvoiceLine, list[Usage]]] = []
    for subscription, registered in support_plus:
        tariff = tariff_on(subscription.start)
        if tariff is None:
            continue
        line = InvoiceLine(
            kind=InvoiceLineKind.SUPPORT_PLUS,
            contact_name=registered[0].name if registered else "",
            first_day=subscription.start,
            last_day=subscription.end,
            quantity=1,
            rate=tariff.support_plus_price,
            amount=tariff.support_plus_price,
            support_plus=subscription,
        )
        with translation.override(language):
            line.text = (
                _("Support+ subscription: %(name)s, %(days)s")
                % {"name": line.contact_name, "days": line.days}
                if line.contact_name
                else _("Support+ subscription, %(days)s") % {"days": line.days}
            )[:200]
        lines.append((line, []))
        extra = registered[1:]
        if extra:
            price = tariff.support_plus_additional_person_price
            line = InvoiceLine(
                kind=InvoiceLineKind.SUPPORT_PLUS_PERSON,
                contact_name=", ".join(c.name for c in extra)[:140],
                first_day=subscription.start,
                last_day=subscription.end,
                quantity=len(extra),
                rate=price,
                amount=price * len(extra),
                support_plus=subscription,
            )
            with translation.override(language):
                line.text = (
                    ngettext(
                        "Support+ additional person: %(names)s, %(days)s",
                        "Support+ additional persons: %(names)s, %(days)s",
                        len(extra),
                    )
                    % {"names": ", ".join(c.name for c in extra), "days": line.days}
                )[:200]
            lines.append((line, []))
    for half_fare_subscription in half_fare:
        tariff = tariff_on(half_fare_subscription.start)
        if tariff is None or tariff.half_fare_price is None:
            continue
        line = InvoiceLine(
            kind=InvoiceLineKind.HALF_FARE,
            first_day=half_fare_subscription.start,
            last_day=half_fare_subscription.end,
            quantity=1,
            rate=tariff.half_fare_price,
            amount=tariff.half_fare_price,
            half_fare_subscription=half_fare_subscription,
        )
        with translation.override(language):
            line.text = _("Half-fare subscription, %(days)s") % {"days": line.days}
        lines.append((line, []))
    return lines


@service
@transaction.atomic
def invoice_line_remove(*, line: InvoiceLine) -> Invoice | None:
    """Take a line off a draft: its usages or fee become unbilled again.

    Returns the draft, or None when it had no other line and was discarded.
    """
    if not isinstance(line, InvoiceLine) or line.pk is None:
        raise ValidationError(_("Choose a line of a draft."))
    invoice = _lock_draft(line.invoice)
    _require_draft(invoice)
    current = InvoiceLine.objects.filter(pk=line.pk, invoice=invoice).first()
    if current is None:
        raise ValidationError(_("This line is no longer on the draft."))
    current.delete()
    rest = list(invoice.lines.order_by("position"))
    if not rest:
        invoice.delete()
        return None
    for position, other in enumerate(rest, start=1):
        if other.position != position:
            other.position = position
            other.save(update_fields=["position"])
    _refresh_totals(invoice)
    return invoice


@service
@transaction.atomic
def invoice_discard(*, invoice: Invoice) -> None:
    """Delete a draft: everything on it becomes unbilled again."""
    invoice = _lock_draft(invoice)
    _require_draft(invoice)
    invoice.delete()


@service(own_checks=("period_start", "period_end"))
@transaction.atomic
def invoice_run_start(
    *, period_start: date, period_end: date, created_by: User | None = None
) -> InvoiceRun:
    """Queue a run of :func:`invoice_drafts` for the period; the worker does it after commit."""
    _check_period(period_start, period_end)
    if created_by is not None and not isinstance(created_by, get_user_model()):
        raise ValidationError(_("A run is started by a user of the desk."))
    tariff_in_force(on=period_end)  # a clear error now rather than a failed run later
    # A run the worker has not finished within an hour has died with it: no longer busy.
    busy = InvoiceRun.objects.filter(
        period_start=period_start,
        period_end=period_end,
        status__in=[InvoiceRunStatus.QUEUED, InvoiceRunStatus.RUNNING],
        created_at__gte=timezone.now() - timedelta(hours=1),
    )
    if busy.exists():
        raise ValidationError(_("A run for this period is already under way; wait for it."))
    run = InvoiceRun.objects.create(
        period_start=period_start, period_end=period_end, created_by=created_by
    )
    transaction.on_commit(lambda: _tasks().run_invoice_drafts.enqueue(run.pk))
    return run
