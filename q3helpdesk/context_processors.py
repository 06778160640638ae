from .roles import Role, user_roles


def roles(request) -> dict:
    """Expose the user's roles to templates (navigation by role)."""
    mine = user_roles(request.user) if hasattr(request, "user") else frozenset()
    return {
        "user_roles": mine,
        "is_desk": bool(mine & {Role.INFOLINE, Role.SUPPORT}),
        "is_billing": Role.BILLING in mine,
        "is_manager": Role.MANAGER in mine,
    }
