"""``{% upcoming_tariff %}``: the notice of a tariff entered to come into force later."""

from django import template
from django.utils import timezone

from billing.selectors import tariff_upcoming

register = template.Library()


@register.inclusion_tag("billing/_upcoming_tariff.html")
def upcoming_tariff(half_fare: bool = False) -> dict:
    """The next tariff after today, if any (one query); ``half_fare`` adds that rate."""
    return {"upcoming": tariff_upcoming(on=timezone.localdate()), "half_fare": half_fare}
