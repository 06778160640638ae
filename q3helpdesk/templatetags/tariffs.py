"""``{% upcoming_tariff %}``: the notice of a tariff entered to come into force later;
``{{ code|activity_name:activity_names }}``: an activity's name."""

from django import template
from django.utils import timezone

from billing.selectors import tariff_upcoming

register = template.Library()


@register.inclusion_tag("billing/_upcoming_tariff.html")
def upcoming_tariff(half_fare: bool = False) -> dict:
    """The next tariff after today, if any (one query); ``half_fare`` adds that rate."""
    return {"upcoming": tariff_upcoming(on=timezone.localdate()), "half_fare": half_fare}


@register.filter
def activity_name(code: str, names) -> str:
    """The name of the activity ``code`` from ``names`` (the ``activity_names`` of the
    page), or the code itself when it has none."""
    return names.get(code, code) if names and code else code
