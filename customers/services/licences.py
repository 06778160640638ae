"""Licences and rental periods: creating and changing them, with the credit they grant
derived again through the credit ledger (R3)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from q3helpdesk.guards import service

from ..credit import ledger
from ..models import Customer, Licence, LicenceVariant, Module, RentalPeriod
from ._common import _max_length, _require_saved, _require_span, _text


def _modules(modules, known: dict[str, Module] | None = None) -> list[Module]:
    """The modules of the codes ``modules`` (such as ``["COFI", "SAL"]``), in that order;
    looked up in ``known`` (the saved modules by code) when given."""
    if isinstance(modules, str) or not isinstance(modules, Sequence):
        raise ValidationError(_("Give the modules as a list of module codes."))
    codes = [str(code).strip().upper() for code in modules]
    if not codes:
        raise ValidationError(_("A licence needs at least one module."))
    if len(set(codes)) != len(codes):
        raise ValidationError(_("Each module can be listed only once."))
    if known is None:
        found = {m.code: m for m in Module.objects.filter(code__in=codes)}
    else:
        found = {code: known[code] for code in codes if code in known}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise ValidationError(
            _("Unknown module code(s): %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    return [found[code] for code in codes]


@service(own_checks=("modules",))
@transaction.atomic
def licence_create(
    *,
    customer: Customer,
    variant: str,
    modules: list[str],
    kind: str = "rental",
    number: str | None = None,
) -> Licence:
    """Create a licence with its modules (codes such as ``["COFI", "SAL"]``); ``number``
    is the ERP's licence number, when there is one."""
    _require_saved(customer, Customer, _("Choose an existing customer."))
    chosen = _modules(modules)
    licence = _licence_unsaved(customer=customer, variant=variant, kind=kind, number=number)
    licence.full_clean()
    licence.save()
    licence.modules.set(chosen)
    return licence


def _licence_unsaved(*, customer: Customer, variant, kind, number) -> Licence:
    """The licence :func:`licence_create` saves (not checked yet: ``full_clean``)."""
    return Licence(
        customer=customer,
        variant=variant,
        kind=kind,
        number=_text(number, _("The licence number"), _max_length(Licence, "number")) or None,
    )


def _require_rent(annual_rent) -> None:
    if isinstance(annual_rent, float | bool) or not isinstance(annual_rent, Decimal | int | str):
        raise ValidationError(_("Give the annual rent as an exact amount, for example 480.00."))


@service
@transaction.atomic
def rental_period_create(
    *, licence: Licence, start: date, end: date, annual_rent: Decimal
) -> RentalPeriod:
    """Add a rental period to a rental licence; periods of one licence never overlap."""
    _require_saved(licence, Licence, _("Choose an existing licence."))
    start, end = _require_span(start, end)
    _require_rent(annual_rent)
    # Lock the licence so that two desks cannot add overlapping periods at once.
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    period = RentalPeriod(licence=licence, start=start, end=end, annual_rent=annual_rent)
    period.full_clean()
    period.save()
    ledger().sync(period=period)
    return period


@service
@transaction.atomic
def rental_period_update(
    *, period: RentalPeriod, start: date, end: date, annual_rent: Decimal
) -> RentalPeriod:
    """Change the dates or the rent of a rental period.

    Refused when the periods of the licence would overlap, when credit already used would
    be taken back, or when a Support+ subscription of the customer would lose its profi or
    premium rental period on some day of its term (R7).
    """
    _require_saved(period, RentalPeriod, _("Choose an existing rental period."))
    start, end = _require_span(start, end)
    _require_rent(annual_rent)
    # The customer first (as Support+ takes it), then the licence (as a new period does).
    licence = Licence.objects.get(pk=period.licence_id)
    Customer.objects.select_for_update().get(pk=licence.customer_id)
    Licence.objects.select_for_update().get(pk=licence.pk)
    period = RentalPeriod.objects.select_related("licence").get(pk=period.pk)
    period.start, period.end, period.annual_rent = start, end, annual_rent
    period.full_clean()
    ledger().check_change(period=period)
    period.save()
    ledger().sync(period=period)
    return period


@service(own_checks=("modules",))
@transaction.atomic
def licence_update(*, licence: Licence, variant: str, modules: list[str] | None = None) -> Licence:
    """Change the variant of a licence (an upgrade, or a downgrade to standard or advanced)
    and, when given, its modules (codes); the credit of its periods follows (R3).

    Refused when credit already used would be taken back, or when a Support+ subscription
    of the customer would lose its profi or premium licence on some day of its term (R7).
    """
    _require_saved(licence, Licence, _("Choose an existing licence."))
    if variant not in LicenceVariant.values:
        raise ValidationError(
            _("Choose the variant: %(variants)s.")
            % {"variants": ", ".join(str(label) for label in LicenceVariant.labels)}
        )
    chosen = None if modules is None else _modules(modules)
    Customer.objects.select_for_update().get(pk=licence.customer_id)
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    licence.variant = variant
    licence.full_clean()
    main = None if chosen is None else sum(1 for m in chosen if m.is_main)
    ledger().check_change(licence=licence, main_module_count=main)
    licence.save()
    if chosen is not None:
        licence.modules.set(chosen)
    ledger().sync(licence=licence)
    return licence


@service(allow_unsaved=("period", "licence"))
def credit_change_check(
    *,
    period: RentalPeriod | None = None,
    licence: Licence | None = None,
    main_module_count: int | None = None,
) -> None:
    """Raise ``ValidationError`` when this change of a rental period or a licence (the
    objects carry their new, unsaved values; ``main_module_count`` the modules about to be
    saved) would take back support credit already used. Writes nothing; the admin's forms
    ask it before they save."""
    ledger().check_change(period=period, licence=licence, main_module_count=main_module_count)


@service
@transaction.atomic
def licence_credit_sync(*, licence: Licence) -> None:
    """Derive the credit of a licence's rental periods again after the admin saved the
    licence with its modules and periods (the other writes sync themselves)."""
    ledger().sync(licence=licence)
