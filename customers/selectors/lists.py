"""The customer list (what it shows on a day) and possible duplicates of a new customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from ..models import (
    Contact,
    Customer,
    HalfFareSubscription,
    LicenceKind,
    RentalPeriod,
    SupportPlusSubscription,
    fold_key,
)
from .lookup import normalise_phone
from .support import VARIANT_RANK


def current_periods(on: date):
    """Rental periods of rental licences that cover ``on``, for subqueries on a customer."""
    return RentalPeriod.objects.filter(
        licence__customer=OuterRef("pk"),
        licence__kind=LicenceKind.RENTAL,
        start__lte=on,
        end__gte=on,
    )


def support_plus_running(on: date):
    """The customer's Support+ subscriptions running on ``on`` (a subquery on a customer)."""
    return SupportPlusSubscription.objects.filter(
        customer=OuterRef("pk"), start__lte=on, end__gte=on
    )


def half_fare_running(on: date):
    """The customer's half-fare subscriptions running on ``on`` (a subquery on a customer)."""
    return HalfFareSubscription.objects.filter(customer=OuterRef("pk"), start__lte=on, end__gte=on)


def _has_row(rows) -> Coalesce:
    """Whether the customer has one of ``rows``, looked up for each customer shown.

    Not an EXISTS: in the select list PostgreSQL computes an EXISTS by hashing the whole
    subquery (every rental period, every subscription) on every page, where a first row
    looked up through the customer's index costs a few reads per row of the page. The
    list's filters use EXISTS (``customers.filters``), which the planner joins.
    """
    return Coalesce(
        Subquery(rows.order_by().values(found=Value(True))[:1]),
        Value(False),
        output_field=BooleanField(),
    )


def customers_for_list(*, on: date) -> QuerySet[Customer]:
    """Customers with what the list shows on ``on``: eligible, the variant of the best
    current rental licence, Support+ and half-fare running — all as subqueries, so one
    query per page whatever the number of rows."""
    rank = Case(
        *(When(licence__variant=variant, then=Value(r)) for variant, r in VARIANT_RANK.items()),
        default=Value(0),
    )
    best_variant = (
        current_periods(on).annotate(rank=rank).order_by("-rank").values("licence__variant")[:1]
    )
    return Customer.objects.annotate(
        eligible=_has_row(current_periods(on)),
        variant=Subquery(best_variant),
        support_plus=_has_row(support_plus_running(on)),
        half_fare=_has_row(half_fare_running(on)),
    )


@dataclass(frozen=True)
class PossibleDuplicate:
    customer: Customer
    reasons: list[str]


def possible_duplicates(
    *, name: str = "", postcode: str = "", emails=(), phones=(), limit: int = 10
) -> list[PossibleDuplicate]:
    """Customers that may be the one about to be created: the same phone or e-mail (on the
    customer or one of its contacts), or the same name (as the lookup compares it) in the
    same postcode. One query."""
    phones = [p for p in (normalise_phone(str(p or "")) for p in phones) if p]
    emails = [e.strip() for e in emails if e and e.strip()]
    key = fold_key(name.strip())
    # Q | Exists is a Q at runtime; the stubs call it a Combinable.
    conditions: Q | Combinable = Q(pk__in=[])
    annotations: dict[str, Q | Combinable] = {}
    if phones:
        annotations["same_phone"] = Q(phone__in=phones) | Exists(
            Contact.objects.filter(customer=OuterRef("pk"), phone__in=phones)
        )
    if emails:
        email_q = Q()
        contact_q = Q()
        for email in emails:
            email_q |= Q(email__iexact=email)
            contact_q |= Q(email__iexact=email)
        annotations["same_email"] = email_q | Exists(
            Contact.objects.filter(contact_q, customer=OuterRef("pk"))
        )
    if key and postcode.strip():
        annotations["same_name"] = Q(fold_key=key, postcode=postcode.strip())
    if not annotations:
        return []
    for condition in annotations.values():
        conditions |= condition
    rows = Customer.objects.filter(conditions).annotate(
        **{
            name: ExpressionWrapper(c, output_field=BooleanField())
            for name, c in annotations.items()
        }
    )
    labels = {
        "same_phone": _("same phone number"),
        "same_email": _("same e-mail address"),
        "same_name": _("same name and postcode"),
    }
    return [
        PossibleDuplicate(row, [labels[n] for n in annotations if getattr(row, n)])
        for row in rows.order_by("name", "number")[:limit]
    ]
