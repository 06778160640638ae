"""The four roles of the desk, what each may do, and the checks views use.

Superusers are administrators: they pass every role check and use the Django admin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Role(StrEnum):
    INFOLINE = "Infoline"
    SUPPORT = "Support"
    BILLING = "Billing"
    MANAGER = "Manager"


DESK = (Role.INFOLINE, Role.SUPPORT)
EVERYONE = tuple(Role)

_READ_CUSTOMERS = [
    "customers.view_customer",
    "customers.view_contact",
    "customers.view_module",
    "customers.view_licence",
    "customers.view_rentalperiod",
    "customers.view_halffaresubscription",
    "customers.view_supportplussubscription",
    "customers.view_supportplusregistration",
    "billing.view_tariff",
    "billing.view_creditallowance",
]
_DESK_WRITES = [
    "customers.add_customer",
    "customers.change_customer",
    "customers.add_contact",
    "customers.change_contact",
]

# Permissions per role. A later issue that adds models adds their permissions here and a
# migration that calls sync_role_permissions() again.
_AUDIT_LEDGER = ["billing.view_creditgrant", "billing.view_usage", "billing.view_usagedraw"]
_READ_CASES = [
    "cases.view_case",
    "cases.view_timeentry",
    "cases.view_callback",
    "cases.view_callbackwindow",
    "cases.view_callbackattempt",
]
_WORK_CASES = [
    "cases.add_case",
    "cases.change_case",
    "cases.add_timeentry",
    "cases.change_timeentry",
    "cases.add_callback",
    "cases.change_callback",
    "cases.add_callbackattempt",
]

_READ_INVOICES = ["billing.view_invoice", "billing.view_invoiceline", "billing.view_invoicerun"]
# Billing keeps the customer base in step with the ERP: uploads, checks, imports, exports.
_EXCHANGE_ERP = ["customers.exchange_erp", "customers.view_erpimport"]
_WORK_INVOICES = ["billing.add_invoice", "billing.change_invoice", "billing.add_invoicerun"]

ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.INFOLINE: _READ_CUSTOMERS + _DESK_WRITES + _READ_CASES + _WORK_CASES,
    Role.SUPPORT: _READ_CUSTOMERS + _DESK_WRITES + _READ_CASES + _WORK_CASES,
    Role.BILLING: _READ_CUSTOMERS
    + _AUDIT_LEDGER
    + _READ_CASES
    + _READ_INVOICES
    + _WORK_INVOICES
    + _EXCHANGE_ERP,
    Role.MANAGER: _READ_CUSTOMERS + _AUDIT_LEDGER + _READ_CASES + _READ_INVOICES,
}


def user_roles(user) -> frozenset[Role]:
    """The roles of ``user`` (every role for a superuser), cached on the user object."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_q3_roles", None)
    if cached is None:
        if user.is_superuser:
            cached = frozenset(Role)
        else:
            names = set(user.groups.values_list("name", flat=True))
            cached = frozenset(role for role in Role if role.value in names)
        user._q3_roles = cached
    return cached


def has_role(user, roles: Iterable[Role]) -> bool:
    return bool(user_roles(user) & set(roles))


class DeskRequest(HttpRequest):
    """The request of a view behind :func:`requires` or :func:`role_required`, as the type
    checker should see it: a logged-in user (never anonymous), and ``htmx`` from
    django-htmx's middleware. An annotation only: Django passes its own request."""

    user: User
    htmx: HtmxDetails


def requires(permission: str) -> Callable:
    """View decorator: anonymous users go to the login page, users without ``permission``
    (given to their role by :data:`ROLE_PERMISSIONS`) get 403. The one check of the pages;
    :func:`role_required` is for the pages every role has (home, dashboard)."""

    def decorator(view):
        return login_required(permission_required(permission, raise_exception=True)(view))

    return decorator


def role_required(*roles: Role) -> Callable:
    """View decorator: anonymous users go to the login page, users without a role get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


def sync_role_permissions(apps, schema_editor=None) -> None:
    """Create the role groups and give them exactly the permissions of ROLE_PERMISSIONS.

    Usable from a data migration (``apps`` is the historical registry) and idempotent.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted = []
        for code in codes:
            app_label, codename = code.split(".")
            # A model created by a later migration is granted by the migration after it.
            wanted += Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            )
        group.permissions.set(wanted)
