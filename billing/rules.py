"""Pure arithmetic of the support concept (no ORM): money, minutes and payment references."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from stdnum.ch import esr
from stdnum.iso7064 import mod_97_10

CENT = Decimal("0.01")
FIVE_RAPPEN = Decimal("0.05")


def round_money(amount: Decimal, step: Decimal = CENT) -> Decimal:
    """Round ``amount`` half-up to a multiple of ``step`` (0.01 for lines, 0.05 for totals)."""
    if not isinstance(amount, Decimal):
        raise TypeError("money must be a Decimal")
    return ((amount / step).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * step).quantize(CENT)


def summed_money(value) -> Decimal:
    """A database sum of money (or None for no rows) as an exact amount: SQLite sums
    decimals as floating point, so the sum comes back to the centime here."""
    return round_money(Decimal(str(value or 0)))


def missing_credit_cells(
    cells: Iterable[tuple[str, bool]], variants: Iterable[str]
) -> list[tuple[str, bool]]:
    """The (variant, several main modules) cells of the R3 table that ``cells`` lacks."""
    given = set(cells)
    return [
        (v, several) for v in variants for several in (False, True) if (v, several) not in given
    ]


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in other years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def rental_years(start: date, end: date) -> list[tuple[date, date]]:
    """R3: the rental years of a period, each ``(first day, last day)``, both inclusive.

    A year runs from an anniversary of the start to the day before the next one; a period
    of up to one year is one rental year, a two-year period two, and a period whose last
    part is shorter than a year ends with that shorter part (30 months: 12 + 12 + 6).
    """
    if end < start:
        raise ValueError("the end of a period cannot be before its start")
    years: list[tuple[date, date]] = []
    n = 0
    while True:
        first = years_after(start, n)
        if first > end:
            return years
        years.append((first, min(years_after(start, n + 1) - timedelta(days=1), end)))
        n += 1


def charged_minutes(logged: int, unit: int) -> int:
    """R5: logged minutes rounded up to the next multiple of ``unit`` (0 stays 0)."""
    if logged <= 0:
        return 0
    return -(-logged // unit) * unit


def line_amount(minutes: int, hourly_rate: Decimal) -> Decimal:
    """R12: minutes × hourly rate / 60, rounded half-up to the centime."""
    return round_money(Decimal(minutes) * hourly_rate / 60)


def amount_step(billable_before: int, billable: int, hourly_rate: Decimal) -> Decimal:
    """What adding ``billable`` minutes to a case's ``billable_before`` (at one rate) costs.

    The case is billed on its total (R12: minutes × rate / 60, rounded once), so each
    posting carries the difference of the rounded totals and the postings of a case always
    add up to the amount of its total — never a centime more or less.
    """
    return line_amount(billable_before + billable, hourly_rate) - line_amount(
        billable_before, hourly_rate
    )


_K = TypeVar("_K")  # what allocate() takes minutes from: a grant, a withdrawal source


def allocate(need: int, available: list[tuple[_K, int]]) -> tuple[list[tuple[_K, int]], int]:
    """Take ``need`` minutes from ``available`` (key, minutes) in the given order.

    Returns the (key, minutes taken) pairs and what is left uncovered.
    """
    taken: list[tuple[_K, int]] = []
    for key, minutes in available:
        if need <= 0:
            break
        take = min(need, max(minutes, 0))
        if take:
            taken.append((key, take))
            need -= take
    return taken, need


def invoice_totals(net: Decimal, vat_rate: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """R12: VAT on the net total, total rounded to 5 Rappen; returns (vat, rounding, total)."""
    vat = round_money(net * vat_rate / 100)
    gross = net + vat
    total = round_money(gross, FIVE_RAPPEN)
    return vat, total - gross, total


def _number_digits(invoice_number: str) -> str:
    digits = "".join(ch for ch in invoice_number if ch.isdigit())
    if not digits or len(digits) > 21:
        raise ValueError(f"not an invoice number: {invoice_number!r}")
    return digits


def qr_reference(invoice_number: str) -> str:
    """The 27-digit QR reference of an invoice: its number's digits and a mod-10 check digit."""
    body = _number_digits(invoice_number).rjust(26, "0")
    return body + esr.calc_check_digit(body)


def creditor_reference(invoice_number: str) -> str:
    """The ISO 11649 creditor reference of an invoice (``RF`` + check digits + number)."""
    body = _number_digits(invoice_number)
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body
