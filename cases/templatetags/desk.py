from typing import NamedTuple

from django import template
from django.utils import timezone

from ..selectors.callbacks import desk_badges as read_badges

register = template.Library()


class Badges(NamedTuple):
    due: int  # callbacks due now
    waiting: int  # messages waiting in the inbox


@register.simple_tag(takes_context=True)
def desk_badges(context) -> Badges:
    """``{% desk_badges as badges %}``: the navigation's counts, ``badges.due`` and
    ``badges.waiting``, read in one query once per request (the page's own use of them,
    the home page's buttons, share it)."""
    request = context.get("request")
    badges = getattr(request, "_desk_badges", None)
    if badges is None:
        badges = Badges(*read_badges(timezone.now()))
        if request is not None:
            request._desk_badges = badges
    return badges


@register.filter
def get_item(mapping, key):
    """``{{ costs|get_item:case.reference }}``: a value of a dict by key (or None)."""
    return mapping.get(key) if mapping else None


@register.filter
def is_registered(status, contact) -> bool:
    """``{% if status|is_registered:contact %}``: a registered Support+ person today?"""
    return status.is_registered(contact)
