"""One desk operation's reads, made once: the tariffs in force and the customers it locked.

Logging time reads the tariff in force today (how far work may be dated back, R13) and on
the day of the work (the charge), and locks the customer before the case, then posts
through ``record_usage``, which locks the customer again. Inside :func:`posting_scope`
those reads are made once:

- :func:`billing.selectors.tariff_in_force` answers from a tariff it read already when
  that tariff also governs the day asked: a tariff in force on day D (the latest one
  starting on or before D) is in force on every day from its own start to D, since no
  other tariff starts in between. A later day, or one before its start, is read again.
- A customer locked by :func:`customer_locked` is not locked again by the postings of the
  same operation (:func:`locked_customer`).

The caller opens the scope inside its transaction and it ends with the ``with`` block, so
nothing read in it outlives the operation (an administrator's new tariff is read by the
next one).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from customers.models import Customer

    from .models import Tariff


@dataclass
class _Scope:
    tariffs: list[tuple[date, Tariff]] = field(default_factory=list)  # (day asked, tariff)
    customers: dict[int, Customer] = field(default_factory=dict)  # locked, by pk


_current: ContextVar[_Scope | None] = ContextVar("billing_posting_scope", default=None)


@contextmanager
def posting_scope() -> Iterator[None]:
    """Reuse tariffs and customer locks until the block ends (nested scopes share the
    outer one)."""
    if _current.get() is not None:
        yield
        return
    token = _current.set(_Scope())
    try:
        yield
    finally:
        _current.reset(token)


def known_tariff(on: date) -> Tariff | None:
    """The tariff in force on ``on`` if the scope read one that governs that day."""
    scope = _current.get()
    if scope is None:
        return None
    for asked, tariff in scope.tariffs:
        if tariff.valid_from <= on <= asked:
            return tariff
    return None


def remember_tariff(on: date, tariff: Tariff) -> None:
    """``tariff`` was read as the one in force on ``on``."""
    scope = _current.get()
    if scope is not None:
        scope.tariffs.append((on, tariff))


def customer_locked(customer: Customer) -> None:
    """The caller has locked ``customer``'s row (``SELECT … FOR UPDATE``) in this
    transaction and read it then."""
    scope = _current.get()
    if scope is not None:
        scope.customers[customer.pk] = customer


def locked_customer(pk: int) -> Customer | None:
    """The customer with ``pk`` if it was locked in this scope already, else None."""
    scope = _current.get()
    return scope.customers.get(pk) if scope is not None else None
