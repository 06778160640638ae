"""Pure arithmetic of the support concept (no ORM): rounding of money and minutes."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
FIVE_RAPPEN = Decimal("0.05")


def round_money(amount: Decimal, step: Decimal = CENT) -> Decimal:
    """Round ``amount`` half-up to a multiple of ``step`` (0.01 for lines, 0.05 for totals)."""
    if not isinstance(amount, Decimal):
        raise TypeError("money must be a Decimal")
    return ((amount / step).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * step).quantize(CENT)


def missing_credit_cells(
    cells: Iterable[tuple[str, bool]], variants: Iterable[str]
) -> list[tuple[str, bool]]:
    """The (variant, several main modules) cells of the R3 table that ``cells`` lacks."""
    given = set(cells)
    return [
        (v, several) for v in variants for several in (False, True) if (v, several) not in given
    ]
