"""The desk's pages through the views: lookup, customer page, cases, time entries."""

from datetime import date, time
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Usage
from cases.callbacks import callback_schedule
from cases.emails import email_send
from cases.models import Case, InboundEmail, TimeEntry
from cases.services import time_entry_add
from customers.services import contact_create
from q3helpdesk.roles import Role
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    LicenceFactory,
    make_case,
    rental_customer,
)
from tests.factories import support_plus as subscribe_support_plus

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


@pytest.fixture
def desk(client, user_with_role):
    client.force_login(user_with_role(Role.INFOLINE, username="isabelle"))
    return client


# --- lookup -------------------------------------------------------------------------------


def test_incoming_call_of_a_known_number_opens_the_customer(desk):
    customer = rental_customer(number="10001", phone="031 381 22 10")
    response = desk.get("/lookup/", {"phone": "+41313812210"})
    assert response.status_code == 302 and response["Location"] == "/customers/10001/"
    assert customer.number == "10001"


def test_unknown_caller_offers_to_create_the_customer(desk):
    response = desk.get("/lookup/", {"phone": "079 555 12 34"}, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert 'data-testid="lookup-none"' in html and "Unknown caller" in html
    assert 'href="/customers/new/?phone=079%20555%2012%2034"' in html


def test_several_matches_are_listed(desk):
    rental_customer(number="10001", name="Garage Müller SA")
    rental_customer(number="10002", name="Schreinerei Müller AG")
    response = desk.get("/lookup/", {"q": "muller"})
    assert [c.number for c in response.context["result"].customers] == ["10001", "10002"]


def test_create_customer_from_an_unknown_call(desk):
    response = desk.post(
        "/customers/new/?phone=0795551234",
        {
            "name": "Atelier Rossier",
            "language": "fr",
            "phone": "079 555 12 34",
            "postcode": "1700",
            "city": "Fribourg",
        },
    )
    assert response.status_code == 302
    assert desk.get("/lookup/", {"phone": "0795551234"})["Location"].startswith("/customers/")


def test_bad_customer_input_is_refused(desk):
    response = desk.post("/customers/new/", {"name": "X", "language": "fr", "phone": "12"})
    assert response.status_code == 200 and response.context["form"].errors
    response = desk.post("/customers/new/", {"name": "X", "language": "fr", "postcode": "99999"})
    assert response.status_code == 200 and response.context["form"].errors
    assert not Case.objects.exists()
    from customers.models import Customer

    assert Customer.objects.count() == 0


# --- customer page ------------------------------------------------------------------------


def test_green_banner_credit_and_badges(desk):
    customer = rental_customer(
        number="10001", variant="premium", modules=["COFI", "SAL"], rent=Decimal(1000)
    )
    anna = ContactFactory(customer=customer, name="Anna Keller")
    from customers.services import half_fare_subscribe

    half_fare_subscribe(customer=customer, start=date(2026, 1, 1), end=date(2026, 12, 31))
    subscribe_support_plus(customer, [anna])
    html = desk.get("/customers/10001/").content.decode()
    assert 'data-testid="banner-eligible"' in html and "31.12.2026" in html
    assert 'data-testid="badge-half-fare"' in html and 'data-testid="badge-support-plus"' in html
    assert html.count('data-testid="credit-bucket"') == 2
    assert "155" in html  # 35 + 120 minutes left
    assert "★ Support+" in html


def test_red_banner_offers_only_the_rental_switch_lead(desk):
    customer = CustomerFactory(number="10006")
    LicenceFactory(customer=customer, kind="purchase")
    html = desk.get("/customers/10006/").content.decode()
    assert 'data-testid="banner-not-eligible"' in html
    assert 'data-testid="record-lead"' in html and 'data-testid="new-case"' not in html


@pytest.mark.parametrize("rows", [1, 30])
def test_customer_page_query_budget(desk, django_assert_max_num_queries, rows):
    customer = rental_customer(number="10001")
    for n in range(rows):
        ContactFactory(customer=customer)
        case = make_case(customer)
        time_entry_add(case=case, activity="support", minutes=5 + n, performed_on=DAY)
    # 18th: the upcoming tariff, if one is entered; 19th: the earlier credit of the customer;
    # 20th-21st: the recent e-mails (incoming, outgoing); 22nd: the inbox count in the nav
    with django_assert_max_num_queries(22):
        assert desk.get("/customers/10001/").status_code == 200


# What reading each list of the customer page selects (the navigation's counts select none).
CUSTOMER_LISTS = {
    "cases": '"cases_case"."subject"',
    "callbacks": '"cases_callback"."reason"',
    "inbound": '"cases_inboundemail"."message_id"',
    "outgoing": '"cases_supportemail"."subject"',
}


def _customer_page(client, number: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/customers/{number}/")
    return response, [q["sql"] for q in queries]


def test_the_customer_page_reads_only_the_lists_it_fills(desk):
    """With the customer the page asks which of its lists have rows, and reads those."""
    customer = rental_customer(number="10001", email="info@kunde.example")
    response, bare = _customer_page(desk, "10001")
    assert not response.context["page"].open_cases
    for what, reads in CUSTOMER_LISTS.items():
        assert not any(reads in sql for sql in bare), what
    case = make_case(customer, subject="Lohnlauf")
    callback_schedule(
        case=case, phone="031 381 22 10", reason="Rückruf", windows=[(DAY, time(14), time(15))]
    )
    email_send(case=case, subject="Antwort", body="Hallo")
    InboundEmail.objects.create(
        message_id="<1@kunde.example>",
        status="filed",
        case=case,
        customer=customer,
        from_address="anna@kunde.example",
        subject="Frage",
        raw=ContentFile(b"x", name="m.eml"),
    )
    response, full = _customer_page(desk, "10001")
    for what, reads in CUSTOMER_LISTS.items():
        assert any(reads in sql for sql in full), what
    page = response.context["page"]
    assert [c.pk for c in page.open_cases] == [case.pk] and len(page.open_callbacks) == 1
    assert {item.kind for item in page.emails} == {"inbound", "outgoing"}


# --- cases ----------------------------------------------------------------------------------


def test_open_a_case_from_the_customer_page(desk):
    customer = rental_customer(number="10001")
    contact = ContactFactory(customer=customer)
    response = desk.post(
        "/cases/new/?customer=10001",
        {"contact": contact.pk, "channel": "phone", "subject": "Bilan", "kind": "case"},
    )
    case = Case.objects.get()
    assert response["Location"] == f"/cases/{case.pk}/"
    assert (case.contact, case.assignee.username, case.kind) == (contact, "isabelle", "case")


def test_case_form_refuses_bad_input_and_contacts_of_other_customers(desk):
    rental_customer(number="10001")
    stranger = ContactFactory()
    for data in (
        {"channel": "phone", "subject": "", "kind": "case"},
        {"channel": "fax", "subject": "x", "kind": "case"},
        {"channel": "phone", "subject": "x", "kind": "case", "contact": stranger.pk},
    ):
        response = desk.post("/cases/new/?customer=10001", data)
        assert response.status_code == 200 and response.context["form"].errors
    assert not Case.objects.exists()


def test_not_eligible_customer_gets_a_lead_form_and_no_case(desk):
    customer = CustomerFactory(number="10006")
    page = desk.get("/cases/new/?customer=10006")
    assert page.context["kind"] == "lead"
    refused = desk.post(
        "/cases/new/?customer=10006",
        {"channel": "phone", "subject": "Support?", "kind": "case"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "rental-switch lead" in refused.content.decode() and not Case.objects.exists()
    desk.post(
        "/cases/new/?customer=10006", {"channel": "phone", "subject": "Interested", "kind": "lead"}
    )
    assert Case.objects.get().kind == "lead" and Case.objects.get().customer == customer


def test_time_entry_via_htmx_shows_its_cost(desk):
    case = make_case(rental_customer(variant="standard"))  # 5 min credit
    response = desk.post(
        f"/cases/{case.pk}/entries/",
        {"activity": "support", "minutes": "10", "performed_on": "2026-03-02"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html  # the fragment only
    assert 'data-testid="time-entry"' in html and "14.58" in html  # 5 billable × 175 / 60
    entry = TimeEntry.objects.get()
    assert entry.usage.work_ref == case.reference and entry.created_by.username == "isabelle"


@pytest.mark.parametrize(
    "data",
    [
        {"activity": "support", "minutes": "0", "performed_on": "2026-03-02"},
        {"activity": "support", "minutes": "-5", "performed_on": "2026-03-02"},
        {"activity": "support", "minutes": "721", "performed_on": "2026-03-02"},
        {"activity": "support", "minutes": "ten", "performed_on": "2026-03-02"},
        {"activity": "support", "minutes": "10", "performed_on": "2026-03-03"},  # tomorrow
        {"activity": "support", "minutes": "10", "performed_on": "02.13.2026"},
        {"activity": "nap", "minutes": "10", "performed_on": "2026-03-02"},
    ],
)
def test_bad_time_entries_show_an_error_and_save_nothing(desk, data):
    case = make_case(rental_customer())
    response = desk.post(f"/cases/{case.pk}/entries/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert (
        "invalid-feedback" in response.content.decode()
        or "alert-danger" in response.content.decode()
    )
    assert not TimeEntry.objects.exists() and not Usage.objects.exists()


def test_time_on_a_customer_without_licence_is_refused_by_the_ledger(desk):
    customer = rental_customer(start=date(2026, 1, 1), end=date(2026, 1, 31))
    case = Case.objects.create(
        customer=customer, channel="phone", subject="old case", opened_on=date(2026, 3, 2)
    )
    response = desk.post(
        f"/cases/{case.pk}/entries/",
        {"activity": "support", "minutes": "10", "performed_on": "2026-03-02"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "rental version" in response.content.decode()
    assert not Usage.objects.exists()


def test_quote_before_saving(desk):
    case = make_case(rental_customer(variant="standard"))
    response = desk.get(
        f"/cases/{case.pk}/entries/quote/",
        {"activity": "support", "minutes": "10", "performed_on": "2026-03-02"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "10 min: 5 from credit, 5 billable, CHF 14.58" in response.content.decode()
    assert not Usage.objects.exists()


def test_removing_an_entry_reverses_it_and_an_invoiced_one_is_refused(desk):
    case = make_case(rental_customer(rent=Decimal(0)))
    first = time_entry_add(case=case, activity="support", minutes=10, performed_on=DAY)
    second = time_entry_add(case=case, activity="forms", minutes=10, performed_on=DAY)
    desk.post(f"/cases/{case.pk}/entries/{first.pk}/remove/", HTTP_HX_REQUEST="true")
    first.refresh_from_db()
    assert first.is_removed
    Usage.objects.filter(pk=second.usage_id).mark_invoiced(timezone.now())
    response = desk.post(
        f"/cases/{case.pk}/entries/{second.pk}/remove/",
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "on an issued invoice" in response.content.decode()
    second.refresh_from_db()
    assert not second.is_removed


def test_entry_of_another_case_is_not_found(desk):
    customer = rental_customer()
    mine, other = make_case(customer), make_case(customer)
    entry = time_entry_add(case=other, activity="support", minutes=5, performed_on=DAY)
    assert desk.post(f"/cases/{mine.pk}/entries/{entry.pk}/remove/").status_code == 404
    entry.refresh_from_db()
    assert not entry.is_removed


def test_status_flow_through_the_page(desk):
    case = make_case(rental_customer())
    desk.post(f"/cases/{case.pk}/status/", {"status": "resolved"})
    desk.post(f"/cases/{case.pk}/status/", {"status": "closed"})
    response = desk.post(f"/cases/{case.pk}/status/", {"status": "open"}, follow=True)
    case.refresh_from_db()
    assert case.status == "closed"
    assert any(
        "cannot become" in str(m) or "ne peut pas" in str(m) for m in response.context["messages"]
    )


def test_case_list_support_plus_first_filters_and_csv(desk):
    customer = rental_customer(variant="premium", number="10001")
    anna = ContactFactory(customer=customer)
    subscribe_support_plus(customer, [anna])
    normal = make_case(customer)
    vip = make_case(customer, contact=anna)
    other = make_case(rental_customer(number="10002"))
    rows = list(desk.get("/cases/").context["table"].page.object_list)
    assert rows[0].record == vip  # Support+ first, then newest
    assert [r.record for r in rows[1:]] == [other, normal]
    only = desk.get("/cases/", {"customer": "10002"}).context["table"].data
    assert [c.pk for c in only] == [other.pk]
    csv = desk.get("/cases/", {"_export": "csv"}).content.decode().splitlines()
    assert len(csv) == 4 and f"C-{vip.pk}" in csv[1]


@pytest.mark.parametrize("rows", [1, 30])
def test_case_list_and_case_page_query_budget(desk, django_assert_max_num_queries, rows):
    customer = rental_customer()
    for n in range(rows):
        case = make_case(customer, contact=contact_create(customer=customer, name=f"P {n}"))
        time_entry_add(case=case, activity="support", minutes=3, performed_on=DAY)
    with django_assert_max_num_queries(10):
        assert desk.get("/cases/").status_code == 200
    # the conversation (see tests/cases/test_timeline.py for the full count): 21
    with django_assert_max_num_queries(23):  # +2: the activities (form, names)
        assert desk.get(f"/cases/{case.pk}/").status_code == 200


@pytest.mark.parametrize("role", [Role.BILLING, Role.MANAGER])
def test_billing_and_managers_read_but_do_not_work_cases(client, user_with_role, role):
    case = make_case(rental_customer(number="10001"))
    client.force_login(user_with_role(role))
    for path in ("/cases/", f"/cases/{case.pk}/", "/customers/10001/", "/lookup/?q=x"):
        assert client.get(path).status_code == 200, path
    assert client.get("/cases/new/?customer=10001").status_code == 403
    response = client.post(
        f"/cases/{case.pk}/entries/",
        {"activity": "support", "minutes": "5", "performed_on": "2026-03-02"},
    )
    assert response.status_code == 403 and not TimeEntry.objects.exists()


def test_users_without_role_see_no_desk_page(client, user_with_role):
    case = make_case(rental_customer(number="10001"))
    client.force_login(user_with_role(None))
    for path in ("/cases/", f"/cases/{case.pk}/", "/customers/10001/", "/lookup/?q=x"):
        assert client.get(path).status_code == 403, path


def test_assign_a_case_to_a_colleague_but_not_to_billing(desk, user_with_role):
    case = make_case(rental_customer())
    colleague = user_with_role(Role.SUPPORT, username="stefan")
    accountant = user_with_role(Role.BILLING, username="beatrice")
    desk.post(f"/cases/{case.pk}/take/", {"assignee": colleague.pk})
    case.refresh_from_db()
    assert case.assignee == colleague
    desk.post(f"/cases/{case.pk}/take/", {"assignee": accountant.pk})
    case.refresh_from_db()
    assert case.assignee == colleague
    desk.post(f"/cases/{case.pk}/take/")
    case.refresh_from_db()
    assert case.assignee.username == "isabelle"


def test_schedule_a_callback_from_the_customer_page(desk):
    from cases.callbacks import callback_schedule

    rental_customer(number="10001", phone="021 312 45 67")
    response = desk.post(
        "/cases/new/?customer=10001&then=callback",
        {"channel": "phone", "subject": "Rappel", "kind": "case"},
    )
    case = Case.objects.get()
    assert response["Location"] == f"/cases/{case.pk}/callbacks/new/"
    callback_schedule(
        case=case,
        phone="021 312 45 67",
        reason="Clôture annuelle",
        windows=[(date(2026, 3, 2), time(15, 0), time(16, 0))],
    )
    html = desk.get("/customers/10001/").content.decode()
    assert "Clôture annuelle" in html and 'data-testid="customer-schedule-callback"' in html


def test_case_list_refuses_bad_filters_and_unknown_exports(desk):
    make_case(rental_customer())
    reversed_dates = desk.get(
        "/cases/",
        {"created_from": "2026-03-02", "created_to": "2026-03-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "cannot be before the start date" in reversed_dates.content.decode()
    assert list(reversed_dates.context["table"].data) == []
    same_day = desk.get("/cases/", {"created_from": "2026-03-02", "created_to": "2026-03-02"})
    assert len(same_day.context["table"].data) == 1
    assert desk.get("/cases/", {"_export": "yaml"}).status_code == 404


def test_bad_assignee_and_out_of_range_dates_are_clear_errors(desk):
    case = make_case(rental_customer())
    response = desk.post(f"/cases/{case.pk}/take/", {"assignee": "abc"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assignee is None
    for params in ({"created_from": "0001-01-01"}, {"created_to": "9999-12-31"}):
        page = desk.get("/cases/", params, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        assert "Choose a date between 01.01.1990 and 31.12.2199" in page.content.decode()
        assert list(page.context["table"].data) == []


def test_no_lead_for_a_customer_who_may_get_support(desk):
    rental_customer(number="10001")
    response = desk.post(
        "/cases/new/?customer=10001",
        {"channel": "phone", "subject": "x", "kind": "lead"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "open a support case instead" in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("kind", "status", "time_form"),
    [("case", "open", True), ("case", "resolved", False), ("lead", "open", False)],
)
def test_time_is_logged_only_on_support_cases_being_worked_on(desk, kind, status, time_form):
    customer = rental_customer() if kind == "case" else CustomerFactory()
    case = make_case(customer, kind=kind)
    Case.objects.filter(pk=case.pk).update(status=status)
    html = desk.get(f"/cases/{case.pk}/").content.decode()
    assert ('data-testid="time-entry-form"' in html) is time_form
    assert ("Prospect passage à la location" in html) is (kind == "lead")
