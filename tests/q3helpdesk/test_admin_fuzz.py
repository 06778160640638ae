"""The admin never answers 500: every changelist filter and date-hierarchy parameter and
every field of every add and change form, given bad values, as a superuser.

A bad value gives the page with an error (200), the changelist's "?e=1" redirect (302) or
a 400/404 — never a server error. The table is systematic rather than random so that a
failure names the exact request.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList

from billing.services import record_usage
from cases.services import case_create
from q3helpdesk.api.services import api_client_create
from tests.factories import ContactFactory, HalfFareFactory, make_company, rental_customer

pytestmark = pytest.mark.django_db

APPS = {"customers", "billing", "cases", "api"}
BAD_VALUES = ["", "abc", "-1", "0", "13", "99999", "2026-02-30", "99999999999999999999"]
# Date-hierarchy parts get the numbers around the edges of the calendar too.
DATE_PARTS = [*BAD_VALUES, "32", "9999", "1.5"]
FORM_VALUES = ["abc", "-1", "99999999999999999999", "2026-13-45"]


def project_admins():
    return sorted(
        (
            (model, model_admin)
            for model, model_admin in admin.site._registry.items()
            if model._meta.app_label in APPS
        ),
        key=lambda pair: pair[0]._meta.label,
    )


def url(model, view: str, *args) -> str:
    opts = model._meta
    path = f"/admin/{opts.app_label}/{opts.model_name}/"
    return path + ("/".join(str(a) for a in args) + "/" if args else "") + view


@pytest.fixture
def some_of_everything(db):
    """One row of each kind, so that filters have choices and change forms an object."""
    from billing.services import invoice_drafts, invoice_issue

    make_company()
    customer = rental_customer(variant="premium", rent=Decimal("50.00"))
    contact = ContactFactory(customer=customer)
    HalfFareFactory(customer=customer)
    case = case_create(customer=customer, channel="phone", subject="Lohnlauf")
    record_usage(
        customer=customer,
        activity="support",
        minutes=20,
        performed_on=date(2026, 3, 2),
        work_ref=case.reference,
        contact=contact,
    )
    (draft,) = invoice_drafts(
        period_start=date(2026, 3, 1), period_end=date(2026, 3, 31), customers=[customer]
    )
    invoice_issue(invoice=draft, issued_on=date(2026, 4, 1), render_pdf=False)
    api_client_create(name="ERP", scopes=["customers"])


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    client.raise_request_exception = False
    return client


def changelist_parameters(model, model_admin, rf, admin_user) -> list[str]:
    request = rf.get(url(model, ""))
    request.user = admin_user
    changelist = model_admin.get_changelist_instance(request)
    assert isinstance(changelist, ChangeList)
    names = ["q", "o", "p", "e", "all"]
    for spec in changelist.filter_specs:
        names += spec.expected_parameters()
    if model_admin.date_hierarchy:
        names += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    return names


def values_for(name: str) -> list[str]:
    return DATE_PARTS if name.endswith(("__year", "__month", "__day")) else BAD_VALUES


def test_changelist_filters_and_date_hierarchy_never_answer_500(
    admin_client, admin_user, rf, some_of_everything
):
    failures = []
    for model, model_admin in project_admins():
        for name in changelist_parameters(model, model_admin, rf, admin_user):
            for value in values_for(name):
                response = admin_client.get(url(model, ""), {name: value})
                if response.status_code >= 500:
                    failures.append(f"{url(model, '')}?{name}={value!r}")
        if dh := model_admin.date_hierarchy:
            for year, month, day in [
                ("2026", "13", None),
                ("2026", "0", None),
                ("2026", "2", "30"),
                ("9999", "12", None),
                ("9999", "12", "31"),
                ("9999", None, None),
                ("1", "1", "1"),
                ("0", "1", "1"),
                ("99999", "1", "1"),
                ("2026", "99999999999999999999", None),
            ]:
                params = {f"{dh}__year": year, f"{dh}__month": month, f"{dh}__day": day}
                params = {k: v for k, v in params.items() if v is not None}
                response = admin_client.get(url(model, ""), params)
                if response.status_code >= 500:
                    failures.append(f"{url(model, '')}?{params}")
    assert failures == [], "\n".join(failures)


def form_fields(response) -> list[str]:
    if response.status_code != 200 or "adminform" not in response.context:
        return []
    return list(response.context["adminform"].form.fields)


def test_add_and_change_forms_never_answer_500(admin_client, some_of_everything):
    failures = []
    for model, _model_admin in project_admins():
        pages = [url(model, "add/")]
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(url(model, "change/", first.pk))
            pages.append(url(model, "history/", first.pk))
        for page in pages:
            response = admin_client.get(page)
            if response.status_code >= 500:
                failures.append(f"GET {page}")
                continue
            for field in form_fields(response):
                for value in FORM_VALUES:
                    response = admin_client.post(page, {field: value})
                    if response.status_code >= 500:
                        failures.append(f"POST {page} {field}={value!r}")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("value", ["abc", "-1", "0", "99999", "99999999999999999999", "1e3", " "])
def test_object_urls_with_bad_ids_never_answer_500(admin_client, value):
    failures = []
    for model, _model_admin in project_admins():
        for view in ("change/", "history/", "delete/"):
            page = url(model, view, value)
            response = admin_client.get(page)
            if response.status_code >= 500:
                failures.append(page)
        page = url(model, "history/1/", value)  # simple-history's view of one version
        if admin_client.get(page).status_code >= 500:
            failures.append(page)
    assert failures == [], "\n".join(failures)
