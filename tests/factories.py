"""Factories shared by all tests: factory-boy factories for the customer data, and plain
functions that build cases, ledger postings, invoices and the company data through the real
services; ``post`` and ``messages_of`` for the pages."""

from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import factory
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages

from billing.models import Company, Invoice, Usage
from billing.services import invoice_drafts, invoice_issue, record_usage
from cases.models import Case
from cases.services import case_create
from customers.credit import ledger
from customers.models import (
    Contact,
    Customer,
    HalfFareSubscription,
    Licence,
    LicenceKind,
    LicenceVariant,
    Module,
    RentalPeriod,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    number = factory.Sequence(lambda n: str(50000 + n))
    name = factory.Sequence(lambda n: f"Menuiserie Dupont {n} SA")
    street = "Rue du Lac"
    house_number = "12"
    postcode = "1003"
    city = "Lausanne"
    language = "fr"
    email = factory.Sequence(lambda n: f"info{n}@dupont.example")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Claire Dupont {n}")


class LicenceFactory(factory.django.DjangoModelFactory):
    """A rental licence; ``modules=["COFI", "SAL"]`` sets its modules (default: COFI)."""

    class Meta:
        model = Licence
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    kind = LicenceKind.RENTAL
    variant = LicenceVariant.STANDARD

    @factory.post_generation
    def modules(obj, create, extracted, **kwargs):
        codes = ["COFI"] if extracted is None else extracted
        obj.modules.set(Module.objects.filter(code__in=codes))


class RentalPeriodFactory(factory.django.DjangoModelFactory):
    """A rental period written directly (also for states the services refuse), with its
    credit derived as ``rental_period_create`` does."""

    class Meta:
        model = RentalPeriod
        skip_postgeneration_save = True

    licence = factory.SubFactory(LicenceFactory)
    start = date(2026, 1, 1)
    end = date(2026, 12, 31)
    annual_rent = Decimal("480.00")

    @factory.post_generation
    def credit(obj, create, extracted, **kwargs):
        if create:
            ledger().sync(period=obj)


class HalfFareFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HalfFareSubscription

    customer = factory.SubFactory(CustomerFactory)
    start = date(2026, 1, 1)
    end = date(2026, 12, 31)


def rental_customer(
    variant="standard",
    modules=("COFI",),
    start=date(2026, 1, 1),
    end=date(2026, 12, 31),
    rent=Decimal("480.00"),
    **customer_kwargs,
):
    """A customer with one rental licence and one rental period."""
    customer = CustomerFactory(**customer_kwargs)
    licence = LicenceFactory(customer=customer, variant=variant, modules=list(modules))
    RentalPeriodFactory(licence=licence, start=start, end=end, annual_rent=rent)
    return customer


def support_plus(customer, persons, start=date(2026, 1, 1), end=date(2026, 12, 31)):
    """A Support+ subscription through the service (so every R7 rule applies)."""
    from customers.services import support_plus_subscribe

    return support_plus_subscribe(customer=customer, start=start, end=end, registered=persons)


# --- company data, cases, the ledger and invoices (through the real services) -------------

QR_IBAN = "CH44 3199 9123 0008 8901 2"  # the QR-IBAN of the QR-bill standard's examples
IBAN = "CH93 0076 2011 6238 5295 7"


def make_company(iban: str = QR_IBAN, **fields) -> Company:
    """The company data (the creditor of every invoice); with a QR-IBAN by default, so that
    invoices carry a QR reference."""
    values = {
        "legal_name": "Q3 Software SA",
        "street": "Bahnhofplatz",
        "house_number": "1",
        "postcode": "3011",
        "city": "Bern",
        "country": "CH",
        "uid": "CHE-123.456.788",
        "iban": iban,
        "email": "billing@q3software.example",
        "phone": "+41 31 000 00 00",
        "footer": "Thank you for your trust.",
        "payment_term_days": 30,
        **fields,
    }
    return Company.objects.create(**values)


def make_case(customer=None, *, channel="phone", subject="Lohnlauf", **kwargs) -> Case:
    """A case opened through ``case_create`` (a new rental customer's unless one is given);
    ``kwargs`` are the service's other arguments (contact, kind, assignee, ...)."""
    if customer is None:
        customer = rental_customer()
    return case_create(customer=customer, channel=channel, subject=subject, **kwargs)


def make_usage(
    customer, minutes, *, activity="support", ref="C-1", on=date(2026, 3, 2), **kwargs
) -> Usage:
    """A ledger posting through ``record_usage``: ``minutes`` of ``activity`` on case ``ref``
    performed on ``on``; ``kwargs`` are the service's other arguments (label, contact, ...)."""
    return record_usage(
        customer=customer,
        activity=activity,
        minutes=minutes,
        performed_on=on,
        work_ref=ref,
        **kwargs,
    )


def no_credit_customer(**kwargs):
    """A rental customer whose annual rent (CHF 50) is below the credit threshold: eligible,
    but every minute is billable."""
    return rental_customer(rent=Decimal("50.00"), **kwargs)


def billable_customer(minutes=20, cases=1, **kwargs):
    """A no-credit customer with ``cases`` cases (C-1, C-2, ...) of ``minutes`` support each,
    on 02.03.2026."""
    customer = no_credit_customer(**kwargs)
    for n in range(1, cases + 1):
        make_usage(customer, minutes, ref=f"C-{n}", label=f"Question {n}")
    return customer


def make_invoice(
    customer, *, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31)
) -> Invoice:
    """The one draft invoice ``invoice_drafts`` makes for ``customer`` (period: March 2026)."""
    drafts = invoice_drafts(period_start=period_start, period_end=period_end, customers=[customer])
    assert len(drafts) == 1, drafts
    return drafts[0]


def issued_invoice(customer, *, issued_on=date(2026, 4, 1), render_pdf=True, **period) -> Invoice:
    """``customer``'s draft (see :func:`make_invoice`) issued through ``invoice_issue``."""
    draft = make_invoice(customer, **period)
    return invoice_issue(invoice=draft, issued_on=issued_on, render_pdf=render_pdf)


# --- pages ---------------------------------------------------------------------------------


def post(client, url, data=None, *, follow=False, language=None, **extra):
    """POST ``data`` (default: nothing) to ``url`` and return the response; ``follow``
    follows the redirect, ``language`` asks for the page in that language."""
    if language is not None:
        extra["HTTP_ACCEPT_LANGUAGE"] = language
    return client.post(url, {} if data is None else data, follow=follow, **extra)


def messages_of(response) -> list[str]:
    """The messages (django.contrib.messages) the request left, as text."""
    return [str(m) for m in get_messages(response.wsgi_request)]


class FormFields(HTMLParser):
    """What a browser posts for a form: each field's shown (pre-filled) value."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and "__prefix__" not in name:
            kind = a.get("type", "text")
            if kind == "checkbox":
                if "checked" in a:
                    self.data[name] = "on"
            elif kind not in {"submit", "button"}:
                self.data[name] = a.get("value") or ""
        elif tag == "select" and name and "__prefix__" not in name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value") or ""

    def handle_endtag(self, tag) -> None:
        if tag == "select":
            self._select = None


def form_fields(html: str) -> dict[str, str]:
    """The fields a browser would post from ``html``, with their shown values."""
    parser = FormFields()
    parser.feed(html)
    return parser.data


def shown_form(client, url: str, *, language=None) -> dict[str, str]:
    """The fields of the form at ``url`` as a browser would post them unchanged."""
    extra = {} if language is None else {"HTTP_ACCEPT_LANGUAGE": language}
    return form_fields(client.get(url, **extra).content.decode())


def inline_prefix(data: dict[str, str], code: str, *, inline: str = "activities") -> str:
    """The prefix (``activities-3``) of the inline row whose ``code`` field is ``code``."""
    for key, value in data.items():
        if key.startswith(f"{inline}-") and key.endswith("-code") and value == code:
            return key.removesuffix("-code")
    raise AssertionError(f"no row {code}")


def copy_tariff(valid_from: date, *, rates: dict | None = None, **changes):
    """A new tariff from ``valid_from``: the seeded one with its credit table and its
    activities, with ``changes`` to its fields and ``rates`` ({code: {field: value}}) to
    its activities."""
    from billing.models import ActivityRate, CreditAllowance, Tariff

    base = Tariff.objects.get(valid_from=date(2024, 1, 1))
    cells = list(base.credit_allowances.all())
    activities = list(base.activities.all())
    base.pk = None
    base.valid_from = valid_from
    for name, value in changes.items():
        setattr(base, name, value)
    base.save()
    CreditAllowance.objects.bulk_create(
        CreditAllowance(
            tariff=base,
            variant=c.variant,
            several_main_modules=c.several_main_modules,
            minutes=c.minutes,
        )
        for c in cells
    )
    for row in activities:
        row.pk, row.tariff = None, base
        for name, value in (rates or {}).get(row.code, {}).items():
            setattr(row, name, value)
    ActivityRate.objects.bulk_create(activities)
    return base


def change_period(period, **values):
    """``period`` with ``values`` (start, end, annual_rent) changed through
    ``rental_period_update``, which derives its credit again."""
    from customers.services import rental_period_update

    values = {"start": period.start, "end": period.end, "annual_rent": period.annual_rent, **values}
    return rental_period_update(period=period, **values)
