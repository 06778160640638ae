from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from billing.selectors import activity_names
from cases.selectors import callbacks_due_count, inbox_waiting_count

from .roles import Role, user_roles


def roles(request) -> dict:
    """Expose the user's roles to templates (navigation by role), and for the desk the
    number of callbacks due now and of e-mails waiting in the inbox (one query each,
    lazily: only if the page shows it)."""
    mine = user_roles(request.user) if hasattr(request, "user") else frozenset()
    return {
        "callbacks_due": SimpleLazyObject(lambda: callbacks_due_count(timezone.now())),
        "inbox_waiting": SimpleLazyObject(inbox_waiting_count),
        "user_roles": mine,
        "is_desk": bool(mine & {Role.INFOLINE, Role.SUPPORT}),
        "is_billing": Role.BILLING in mine,
        "is_manager": Role.MANAGER in mine,
    }


def activities(request) -> dict:
    """The names of the activities (tariff data, R4) in the page's language, read once and
    only when the page names an activity (``{{ code|activity_name:activity_names }}``)."""
    return {"activity_names": SimpleLazyObject(activity_names)}
