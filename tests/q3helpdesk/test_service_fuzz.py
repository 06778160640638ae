"""Every public service refuses wrong arguments with a ValidationError, never a crash
(issue 15): a model instance of the wrong class, an unsaved one, one whose row does not
exist, a string where a date, an amount or a number is expected, a bool for a number, a
float for an amount, None where the argument is not optional, text with control characters.

The services are found by introspection (every public keyword-only function of the
services modules and of the other modules views and commands write through), so a new
service is covered — and must be guarded — without touching this file.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from billing.services import invoice_drafts
from cases.models import Callback, Case, InboundEmail, SupportEmail
from cases.services import time_entry_add
from customers.models import (
    Contact,
    Customer,
    ErpImport,
    ErpImportStatus,
    HalfFareSubscription,
    Licence,
    RentalPeriod,
)
from q3helpdesk.api.models import ApiClient
from q3helpdesk.api.services import api_client_create
from q3helpdesk.guards import LABELS, MULTI_LINE
from tests.factories import ContactFactory, HalfFareFactory, UserFactory, rental_customer
from tests.factories import support_plus as subscribe_support_plus

MODULES = [
    "customers.services",
    "billing.services",
    "cases.services",
    "cases.inbound",
    "cases.emails",
    "cases.callbacks",
    "q3helpdesk.api.services",
]
ZURICH = ZoneInfo("Europe/Zurich")
NOW = datetime(2026, 4, 2, 10, 0, tzinfo=ZURICH)
APPS = ("customers", "billing", "cases", "auth", "api")


def public_services() -> dict[str, Callable]:
    """Public functions defined in ``MODULES`` whose arguments are all keyword-only: the
    service API (positional helpers such as ``first_work_day(case)`` are not services)."""
    found = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name, function in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(function):
                continue
            defined_in = inspect.unwrap(function).__module__
            if defined_in != module_name and not defined_in.startswith(f"{module_name}."):
                continue  # imported from elsewhere (a package's own modules count as it)
            parameters = list(inspect.signature(function).parameters.values())
            if parameters and all(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in parameters):
                found[f"{module_name}.{name}"] = function
    return found


SERVICES = public_services()


def test_the_services_are_found():
    # A sanity check of the discovery itself: the service API of DESIGN §2 is in it.
    for name in (
        "customers.services.customer_create",
        "customers.services.support_plus_subscribe",
        "billing.services.record_usage",
        "billing.services.invoice_issue",
        "billing.services.invoice_pdf",
        "cases.services.time_entry_add",
        "cases.inbound.inbound_assign",
        "cases.emails.email_send",
        "cases.callbacks.callback_schedule",
    ):
        assert name in SERVICES
    assert len(SERVICES) >= 50


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_public_service_is_guarded(name):
    assert getattr(SERVICES[name], "__guarded__", False), f"{name} lacks @service"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_argument_has_a_label_for_its_messages(name):
    parameters = inspect.signature(SERVICES[name]).parameters.values()
    missing = [p.name for p in parameters if p.kind != p.VAR_KEYWORD and p.name not in LABELS]
    assert not missing


# --- the fuzz --------------------------------------------------------------------------------


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count()
        for label in APPS
        for model in apps.get_app_config(label).get_models()
    }


def _split(hint):
    """(the hint without None, whether None is allowed)."""
    if isinstance(hint, typing.types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional = len(args) < len(typing.get_args(hint))
        return (args[0] if len(args) == 1 else tuple(args)), optional
    return hint, False


class ServiceFuzz(TestCase):
    """One world of saved rows, shared by every example (each runs in a transaction that is
    rolled back, so nothing a service wrote could leak into the next one)."""

    @classmethod
    def setUpTestData(cls):
        with time_machine.travel(NOW):
            customer = rental_customer(variant="profi", modules=["COFI", "SAL"])
            contact = ContactFactory(customer=customer, email="anna@example.ch")
            user = UserFactory()
            case = Case.objects.create(
                customer=customer,
                contact=contact,
                channel="phone",
                subject="Lohnlauf",
                opened_on=date(2026, 4, 1),
            )
            entry = time_entry_add(
                case=case, activity="programming", minutes=60, performed_on=date(2026, 4, 1)
            )
            (invoice,) = invoice_drafts(period_start=date(2026, 4, 1), period_end=date(2026, 4, 30))
            world = {
                Customer: customer,
                Contact: contact,
                Licence: customer.licences.get(),
                type(user): user,  # the user model the services name (User)
                Case: case,
                InboundEmail: InboundEmail.objects.create(
                    message_id="<fuzz@example.ch>", status="inbox", subject="Frage"
                ),
                SupportEmail: SupportEmail.objects.create(
                    case=case, to="anna@example.ch", subject="x", body="y"
                ),
                Callback: Callback.objects.create(
                    case=case,
                    phone="+41313812210",
                    reason="Lohnlauf",
                    first_window_start=NOW,
                    first_window_end=NOW,
                    last_window_end=NOW,
                ),
            }
            world[type(entry)] = entry
            world[type(entry.usage)] = entry.usage
            world[type(invoice)] = invoice
            line = invoice.lines.first()
            world[type(line)] = line
            world[RentalPeriod] = RentalPeriod.objects.get(licence=world[Licence])
            world[HalfFareSubscription] = HalfFareFactory(customer=customer)
            subscription = subscribe_support_plus(customer, [contact])
            world[type(subscription)] = subscription
            world[ErpImport] = ErpImport.objects.create(
                name="kunden.csv",
                file=ContentFile(b"Satzart;Kundennummer\r\nKunde;10001\r\n", name="kunden.csv"),
                status=ErpImportStatus.CHECKED,
            )
            world[ApiClient] = api_client_create(name="ERP", scopes=["customers"])[0]
        cls.world = world

    # -- values ---------------------------------------------------------------------------

    def valid(self, name: str, hint):
        kind, _optional = _split(hint)
        if isinstance(kind, tuple):
            kind = kind[0]
        origin = typing.get_origin(kind)
        if origin in (list, tuple, Iterable):
            (item,) = typing.get_args(kind)[:1] or (str,)
            if isinstance(item, type) and issubclass(item, models.Model):
                return [self.instance(item)]
            return ["COFI"]
        if isinstance(kind, type) and issubclass(kind, models.Model):
            return self.instance(kind)
        return {
            date: date(2026, 4, 1),
            datetime: NOW,
            time: time(10),
            int: 10,
            Decimal: Decimal("480.00"),
            str: "support",
            bool: False,
            bytes: b"Subject: x\r\n\r\nx",
            dict: {"name": "Anna"},
        }.get(kind)

    def instance(self, model):
        for cls, value in self.world.items():
            if issubclass(cls, model):
                return value
        raise AssertionError(f"no {model} in the fuzz world: add one")

    def wrong(self, name: str, hint, allow_unsaved: bool):
        """A strategy of values that are wrong for ``hint``."""
        kind, optional = _split(hint)
        kinds = kind if isinstance(kind, tuple) else (kind,)
        maybe_none = [] if optional else [None]
        if any(typing.get_origin(k) in (list, tuple, Iterable) for k in kinds):
            (item,) = typing.get_args(kinds[0])[:1] or (str,)
            items = [st.just("text"), st.just(7), st.just({"a": 1})]
            if isinstance(item, type) and issubclass(item, models.Model):
                items += [
                    st.just([self.other_instance(item)]),
                    st.just([self.unsaved(item)]),
                    st.just(["1"]),
                ]
            return st.one_of(*items, st.sampled_from(maybe_none or ["x"]))
        if kinds[0] is dict:
            return st.sampled_from(["x", 1, ["x"], {"nme": "Anna"}])
        if isinstance(kinds[0], type) and issubclass(kinds[0], models.Model):
            model = kinds[0]
            values = [self.other_instance(model), "1", 1, object(), *maybe_none]
            if not allow_unsaved:
                values += [self.unsaved(model), self.missing(model)]
            return st.sampled_from(values)
        values = [*maybe_none, object(), b"bytes" if bytes not in kinds else "text"]
        if str not in kinds:
            values += ["2026-04-01", "480.00", "5"]
        if date in kinds:
            values += [NOW, 20260401, 1.5]
        if datetime in kinds:
            values += [datetime(2026, 4, 1, 10), date(2026, 4, 1)]
        if int in kinds:
            values += [True, 5.0, Decimal(5)]
        if Decimal in kinds:
            values += [480.0, True, Decimal("NaN"), Decimal("Infinity")]
        if bool in kinds:
            values += [1, "yes"]
        if Callable in kinds or typing.get_origin(kinds[0]) is Callable:
            values = [1, "x"]
        strategy = st.sampled_from(values)
        if str in kinds:
            allowed = "\n\t" if name in MULTI_LINE else ""
            bad = st.sampled_from(
                [
                    c
                    for c in [
                        "\x00",
                        "\x01",
                        "\x07",
                        "\x1b",
                        "\x7f",
                        "\x85",
                        "\u2028",
                        "\u2029",
                        "\r",
                        "\n",
                        "\t",
                        "\x0b",
                    ]
                    if c not in allowed
                ]
            )
            text = st.tuples(st.text(max_size=8), bad, st.text(max_size=8)).map("".join)
            strategy = st.one_of(strategy, text)
        return strategy

    def other_instance(self, model):
        others = [v for cls, v in self.world.items() if not issubclass(cls, model)]
        return others[len(model.__name__) % len(others)]

    @staticmethod
    def concrete(model):
        if model._meta.abstract:
            from django.contrib.auth import get_user_model

            return get_user_model()
        return model

    def unsaved(self, model):
        return self.concrete(model)()

    def missing(self, model):
        return self.concrete(model)(pk=987_654)

    # -- the test -----------------------------------------------------------------------

    def check(self, name, data):
        function = SERVICES[name]
        hints = typing.get_type_hints(inspect.unwrap(function))
        allow_unsaved = getattr(function, "__guard_allow_unsaved__", frozenset())
        parameters = [
            p for p in inspect.signature(function).parameters.values() if p.kind != p.VAR_KEYWORD
        ]
        bad = data.draw(st.sampled_from([p.name for p in parameters]), label="wrong argument")
        kwargs = {}
        for parameter in parameters:
            hint = hints.get(parameter.name, typing.Any)
            if hint is typing.Any:
                hint = dict if parameter.name == "contact" else str
            if parameter.name == bad or data.draw(st.booleans(), label=f"{parameter.name} wrong"):
                kwargs[parameter.name] = data.draw(
                    self.wrong(parameter.name, hint, parameter.name in allow_unsaved),
                    label=parameter.name,
                )
            else:
                kwargs[parameter.name] = self.valid(parameter.name, hint)
        before = _row_counts()
        with time_machine.travel(NOW), pytest.raises(ValidationError) as refused:
            function(**kwargs)
        assert refused.value.messages and all(refused.value.messages)
        assert _row_counts() == before, f"{name} wrote rows although it refused"


def _fuzz_test(name):
    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(data=st.data())
    def test(self, data):
        self.check(name, data)

    test.__name__ = f"test_{name.replace('.', '_')}_refuses_wrong_arguments"
    return test


for _name in SERVICES:
    _test = _fuzz_test(_name)
    setattr(ServiceFuzz, _test.__name__, _test)
