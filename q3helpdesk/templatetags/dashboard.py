"""How the desk writes its figures: 1'234 min, CHF 1'234.50, 1'234.50, 45.5 %, 1 h 05 min.

The Swiss-format helper for amounts: the dashboard, the billing pages and the invoice
PDF all write money through :func:`figure` (the lists' amount column and ``figure`` share
``q3helpdesk.ui.tables.amount_text``) (``"chf"`` with the currency, ``"amount"``
without, for columns headed CHF).
"""

from datetime import timedelta
from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from q3helpdesk.ui.tables import amount_text

register = template.Library()


def _duration(value: timedelta) -> str:
    sign = "-" if value < timedelta() else ""
    minutes = round(abs(value).total_seconds() / 60)
    if minutes < 60:
        return _("%(sign)s%(minutes)s min") % {"sign": sign, "minutes": minutes}
    hours, rest = divmod(minutes, 60)
    return _("%(sign)s%(hours)s h %(minutes)02d min") % {
        "sign": sign,
        "hours": number_format(hours, 0, force_grouping=True),
        "minutes": rest,
    }


@register.simple_tag
def figure(value, kind: str = "count") -> str:
    """A figure in the user's language; "–" where there is none."""
    if value is None:
        return "–"
    if kind == "duration":
        return _duration(value)
    if kind == "amount":
        return amount_text(value)
    if kind == "chf":
        return "CHF " + figure(value, "amount")
    if kind == "percent":
        return number_format(Decimal(value), 1, force_grouping=True) + " %"
    text = number_format(value, 0, force_grouping=True)
    return _("%(minutes)s min") % {"minutes": text} if kind == "minutes" else text
