from django.utils.functional import SimpleLazyObject

from billing.selectors import activity_names

from .roles import Role, user_roles


def roles(request) -> dict:
    """Expose the user's roles to templates (navigation by role). The desk's counts of
    callbacks due and e-mails waiting come from ``{% desk_badges %}``, in one query."""
    mine = user_roles(request.user) if hasattr(request, "user") else frozenset()
    return {
        "user_roles": mine,
        "is_desk": bool(mine & {Role.INFOLINE, Role.SUPPORT}),
        "is_billing": Role.BILLING in mine,
        "is_manager": Role.MANAGER in mine,
    }


def activities(request) -> dict:
    """The names of the activities (tariff data, R4) in the page's language, read once and
    only when the page names an activity (``{{ code|activity_name:activity_names }}``)."""
    return {"activity_names": SimpleLazyObject(activity_names)}
