from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ costs|get_item:case.reference }}``: a value of a dict by key (or None)."""
    return mapping.get(key) if mapping else None


@register.filter
def is_registered(status, contact) -> bool:
    """``{% if status|is_registered:contact %}``: a registered Support+ person today?"""
    return status.is_registered(contact)
