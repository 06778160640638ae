"""The customers services call the credit ledger explicitly (DESIGN §2, customers.credit).

``customers`` may not import ``billing``: its services load the module named by
``settings.CUSTOMERS_CREDIT_LEDGER`` and call it in the open — no signal, no hook. These
tests put a recording ledger in its place (it hands every call on to billing's, so the
services still work) and check which calls each service makes, with which objects, and
when: a check before the row is written, a sync after.
"""

import inspect
import sys
import types
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import count

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

import billing.credit_ledger
from billing.models import CreditGrant
from customers import services
from customers.credit import CreditLedger, ledger
from customers.models import (
    Licence,
    Module,
    RentalPeriod,
    SupportPlusRegistration,
    SupportPlusSubscription,
)
from tests.factories import ContactFactory, LicenceFactory, rental_customer

pytestmark = pytest.mark.django_db

JAN1, JUN30, DEC31 = date(2026, 1, 1), date(2026, 6, 30), date(2026, 12, 31)
RENT = Decimal("480.00")
# What the recording ledger raises when a test makes it refuse.
USED = "Credit already used"
LEDGER_DOWN = "The ledger refuses"

_module_numbers = count(1)


@pytest.fixture(autouse=True)
def desk_today():
    with time_machine.travel(date(2026, 12, 15)):
        yield


@dataclass
class Call:
    """One call of the ledger: its keywords, and for each model instance among them the
    values it carried and its row in the database at the moment of the call."""

    name: str
    kwargs: dict
    carried: dict = field(default_factory=dict)
    stored: dict = field(default_factory=dict)
    modules_stored: list | None = None


def _values(obj: models.Model) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


class RecordingLedger:
    """A credit ledger module made at run time: records each call, then hands it on to
    ``billing.credit_ledger`` (unless the test makes it refuse)."""

    def __init__(self, name: str):
        self.calls: list[Call] = []
        self.refuse: dict[str, Exception] = {}  # function name -> what it raises
        self.module = types.ModuleType(name)
        for function in ("support_plus_capacity", "check_change", "sync", "sync_new"):
            setattr(self.module, function, self._recorder(function))

    def _recorder(self, name: str):
        target = getattr(billing.credit_ledger, name)

        def recorded(**kwargs):
            call = Call(name, dict(kwargs))
            for key, obj in kwargs.items():
                if isinstance(obj, models.Model):
                    call.carried[key] = _values(obj)
                    row = type(obj).objects.filter(pk=obj.pk).values().first() if obj.pk else None
                    call.stored[key] = row
                    if isinstance(obj, Licence) and obj.pk:
                        call.modules_stored = sorted(
                            Licence.objects.get(pk=obj.pk).modules.values_list("code", flat=True)
                        )
            self.calls.append(call)
            if name in self.refuse:
                raise self.refuse[name]
            return target(**kwargs)

        recorded.__name__ = name
        return recorded

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.calls]


@pytest.fixture
def recording(settings, monkeypatch) -> RecordingLedger:
    name = f"tests_recording_credit_ledger_{next(_module_numbers)}"
    recorder = RecordingLedger(name)
    monkeypatch.setitem(sys.modules, name, recorder.module)
    settings.CUSTOMERS_CREDIT_LEDGER = name
    return recorder


def standard_licence(modules=("COFI",)):
    """A standard rental licence of a new customer, with no period yet."""
    return LicenceFactory(variant="standard", modules=list(modules))


def profi_customer():
    """A profi customer with its 2026 period, created before the recording starts."""
    customer = rental_customer(variant="profi")
    return customer, ContactFactory(customer=customer)


def licence_grant_minutes(licence) -> list[int]:
    return list(
        CreditGrant.objects.filter(rental_period__licence=licence).values_list("minutes", flat=True)
    )


# --- the services and their calls ------------------------------------------------------------


def test_the_recording_ledger_is_the_one_the_services_load(recording):
    assert ledger() is recording.module


def test_the_project_settings_name_billings_ledger():
    assert ledger() is billing.credit_ledger


def test_billings_ledger_has_the_functions_of_the_protocol_with_their_keywords():
    for name in ("support_plus_capacity", "check_change", "sync", "sync_new"):
        wanted = inspect.signature(getattr(CreditLedger, name)).parameters
        given = inspect.signature(getattr(billing.credit_ledger, name)).parameters
        assert [(p.name, p.kind) for p in given.values()] == [
            (p.name, p.kind) for p in wanted.values() if p.name != "self"
        ], name


def test_rental_period_create_syncs_the_saved_period(recording):
    licence = standard_licence()
    period = services.rental_period_create(licence=licence, start=JAN1, end=DEC31, annual_rent=RENT)
    assert recording.names == ["sync"]
    (call,) = recording.calls
    assert call.kwargs == {"period": period}
    assert call.kwargs["period"] is period
    assert call.stored["period"]["end"] == DEC31  # the row exists when the ledger is told
    assert licence_grant_minutes(licence) == [5]  # handed on to billing: the grant is there


def test_rental_period_update_checks_the_new_values_before_saving_then_syncs(recording):
    licence = standard_licence()
    period = services.rental_period_create(licence=licence, start=JAN1, end=DEC31, annual_rent=RENT)
    recording.calls.clear()

    updated = services.rental_period_update(
        period=period, start=JAN1, end=JUN30, annual_rent=Decimal("600.00")
    )

    assert recording.names == ["check_change", "sync"]
    check, sync = recording.calls
    assert check.kwargs == {"period": updated} and check.kwargs["period"].pk == period.pk
    # The check sees the new values while the row still holds the old ones ...
    assert (check.carried["period"]["end"], check.carried["period"]["annual_rent"]) == (
        JUN30,
        Decimal("600.00"),
    )
    assert (check.stored["period"]["end"], check.stored["period"]["annual_rent"]) == (DEC31, RENT)
    # ... and the sync comes after the row is saved.
    assert sync.kwargs == {"period": updated}
    assert (sync.stored["period"]["end"], sync.stored["period"]["annual_rent"]) == (
        JUN30,
        Decimal("600.00"),
    )
    grant = CreditGrant.objects.get(rental_period=period)
    assert grant.valid_to == JUN30


def test_licence_update_without_modules_checks_the_new_variant_then_syncs(recording):
    licence = standard_licence(modules=("COFI", "SAL"))
    services.rental_period_create(licence=licence, start=JAN1, end=DEC31, annual_rent=RENT)
    recording.calls.clear()

    updated = services.licence_update(licence=licence, variant="premium")

    assert recording.names == ["check_change", "sync"]
    check, sync = recording.calls
    assert set(check.kwargs) == {"licence", "main_module_count"}
    assert check.kwargs["licence"] is updated
    # No modules given: the count is "the saved ones" (None) or the saved ones counted.
    assert check.kwargs["main_module_count"] in (None, 2)
    assert check.carried["licence"]["variant"] == "premium"
    assert check.stored["licence"]["variant"] == "standard"  # checked before the save
    assert sync.kwargs == {"licence": updated}
    assert sync.stored["licence"]["variant"] == "premium"
    assert licence_grant_minutes(licence) == [35]  # premium, several main modules


def test_licence_update_with_modules_checks_the_new_main_module_count_before_setting_them(
    recording,
):
    licence = standard_licence(modules=("COFI",))
    services.rental_period_create(licence=licence, start=JAN1, end=DEC31, annual_rent=RENT)
    recording.calls.clear()

    # COFI, SAL and FAC are main modules, DEB is not: three main modules.
    updated = services.licence_update(
        licence=licence, variant="advanced", modules=["COFI", "SAL", "FAC", "DEB"]
    )

    assert recording.names == ["check_change", "sync"]
    check, sync = recording.calls
    assert check.kwargs == {"licence": updated, "main_module_count": 3}
    assert check.carried["licence"]["variant"] == "advanced"
    assert check.stored["licence"]["variant"] == "standard"
    assert check.modules_stored == ["COFI"]  # the modules are not set yet
    assert sync.kwargs == {"licence": updated}
    assert sync.modules_stored == ["COFI", "DEB", "FAC", "SAL"]  # the sync sees them
    assert licence_grant_minutes(licence) == [15]  # advanced, several main modules


def test_support_plus_subscribe_asks_the_capacity_then_syncs_the_subscription(recording):
    customer, person = profi_customer()
    recording.calls.clear()

    subscription = services.support_plus_subscribe(
        customer=customer, start=JAN1, end=DEC31, registered=[person]
    )

    assert recording.names == ["support_plus_capacity", "sync"]
    capacity, sync = recording.calls
    assert capacity.kwargs == {"on": JAN1}
    assert sync.kwargs == {"support_plus": subscription}
    assert sync.stored["support_plus"]["end"] == DEC31
    grant = CreditGrant.objects.get(support_plus=subscription)
    assert grant.minutes == 120


def test_support_plus_end_checks_the_shorter_term_then_syncs(recording):
    customer, person = profi_customer()
    subscription = services.support_plus_subscribe(
        customer=customer, start=JAN1, end=DEC31, registered=[person]
    )
    recording.calls.clear()

    ended = services.support_plus_end(subscription=subscription, end=JUN30)

    assert recording.names == ["check_change", "sync"]
    check, sync = recording.calls
    assert set(check.kwargs) == {"support_plus"}
    assert check.kwargs["support_plus"].pk == subscription.pk
    assert check.carried["support_plus"]["end"] == JUN30
    assert check.stored["support_plus"]["end"] == DEC31  # checked before the save
    assert sync.kwargs == {"support_plus": ended}
    assert sync.stored["support_plus"]["end"] == JUN30
    assert CreditGrant.objects.get(support_plus=subscription).valid_to == JUN30


def test_credit_change_check_hands_the_unsaved_values_to_the_ledger(recording):
    licence = standard_licence()
    period = services.rental_period_create(licence=licence, start=JAN1, end=DEC31, annual_rent=RENT)
    recording.calls.clear()
    period.end = JUN30  # the admin's form: changed, not saved

    services.credit_change_check(period=period)
    services.credit_change_check(licence=licence, main_module_count=2)

    assert recording.names == ["check_change", "check_change"]
    first, second = recording.calls
    assert first.kwargs["period"] is period and first.carried["period"]["end"] == JUN30
    assert not any(first.kwargs.get(k) for k in ("licence", "main_module_count", "support_plus"))
    assert second.kwargs["licence"] is licence and second.kwargs["main_module_count"] == 2
    assert not any(second.kwargs.get(k) for k in ("period", "support_plus"))
    assert RentalPeriod.objects.get(pk=period.pk).end == DEC31  # it writes nothing


def test_credit_change_check_passes_the_ledgers_refusal_on(recording):
    licence = standard_licence()
    period = services.rental_period_create(licence=licence, start=JAN1, end=DEC31, annual_rent=RENT)
    recording.refuse["check_change"] = ValidationError(USED)
    with pytest.raises(ValidationError, match=USED):
        services.credit_change_check(period=period)


def test_licence_credit_sync_syncs_the_licence(recording):
    licence = standard_licence()
    services.rental_period_create(licence=licence, start=JAN1, end=DEC31, annual_rent=RENT)
    recording.calls.clear()
    licence.modules.set(Module.objects.filter(code__in=["COFI", "SAL"]))  # the admin saved them

    services.licence_credit_sync(licence=licence)

    assert recording.names == ["sync"]
    assert recording.calls[0].kwargs == {"licence": licence}
    assert licence_grant_minutes(licence) == [10]  # standard, several main modules


# --- a refusal of the ledger leaves everything as it was ---------------------------------


def test_rental_period_update_refused_by_the_check_changes_nothing(recording):
    licence = standard_licence()
    period = services.rental_period_create(licence=licence, start=JAN1, end=DEC31, annual_rent=RENT)
    recording.calls.clear()
    recording.refuse["check_change"] = ValidationError(USED)

    with pytest.raises(ValidationError, match=USED):
        services.rental_period_update(period=period, start=JAN1, end=JUN30, annual_rent=RENT)

    assert recording.names == ["check_change"]  # no sync after a refusal
    stored = RentalPeriod.objects.get(pk=period.pk)
    assert (stored.end, stored.annual_rent) == (DEC31, RENT)
    assert CreditGrant.objects.get(rental_period=period).valid_to == DEC31


def test_licence_update_refused_by_the_check_changes_neither_variant_nor_modules(recording):
    licence = standard_licence(modules=("COFI",))
    services.rental_period_create(licence=licence, start=JAN1, end=DEC31, annual_rent=RENT)
    recording.refuse["check_change"] = ValidationError(USED)

    with pytest.raises(ValidationError, match=USED):
        services.licence_update(licence=licence, variant="premium", modules=["COFI", "SAL"])

    stored = Licence.objects.get(pk=licence.pk)
    assert stored.variant == "standard"
    assert list(stored.modules.values_list("code", flat=True)) == ["COFI"]
    assert licence_grant_minutes(licence) == [5]


def test_support_plus_end_refused_by_the_check_keeps_the_term(recording):
    customer, person = profi_customer()
    subscription = services.support_plus_subscribe(
        customer=customer, start=JAN1, end=DEC31, registered=[person]
    )
    recording.refuse["check_change"] = ValidationError(USED)

    with pytest.raises(ValidationError, match=USED):
        services.support_plus_end(subscription=subscription, end=JUN30)

    assert SupportPlusSubscription.objects.get(pk=subscription.pk).end == DEC31


def test_a_failing_sync_takes_the_saved_change_back(recording):
    # The sync runs after the save: the service's transaction must undo the save.
    licence = standard_licence(modules=("COFI",))
    period = services.rental_period_create(licence=licence, start=JAN1, end=DEC31, annual_rent=RENT)
    recording.refuse["sync"] = ValidationError(LEDGER_DOWN)

    with pytest.raises(ValidationError, match=LEDGER_DOWN):
        services.rental_period_update(period=period, start=JAN1, end=JUN30, annual_rent=RENT)
    with pytest.raises(ValidationError, match=LEDGER_DOWN):
        services.licence_update(licence=licence, variant="premium", modules=["COFI", "SAL"])
    with pytest.raises(ValidationError, match=LEDGER_DOWN):
        services.rental_period_create(
            licence=licence, start=date(2027, 1, 1), end=date(2027, 12, 31), annual_rent=RENT
        )

    assert list(RentalPeriod.objects.filter(licence=licence).values_list("end", flat=True)) == [
        DEC31
    ]
    stored = Licence.objects.get(pk=licence.pk)
    assert stored.variant == "standard"
    assert list(stored.modules.values_list("code", flat=True)) == ["COFI"]


def test_support_plus_subscribe_with_a_failing_sync_saves_no_subscription(recording):
    customer, person = profi_customer()
    recording.refuse["sync"] = ValidationError(LEDGER_DOWN)

    with pytest.raises(ValidationError, match=LEDGER_DOWN):
        services.support_plus_subscribe(
            customer=customer, start=JAN1, end=DEC31, registered=[person]
        )

    assert not SupportPlusSubscription.objects.filter(customer=customer).exists()
    assert not SupportPlusRegistration.objects.filter(contact=person).exists()


# --- without a ledger ----------------------------------------------------------------------


def test_ledger_without_a_module_named_is_improperly_configured(settings):
    settings.CUSTOMERS_CREDIT_LEDGER = ""
    with pytest.raises(ImproperlyConfigured, match="CUSTOMERS_CREDIT_LEDGER"):
        ledger()


def test_ledger_without_the_setting_is_improperly_configured(settings):
    del settings.CUSTOMERS_CREDIT_LEDGER
    with pytest.raises(ImproperlyConfigured, match="CUSTOMERS_CREDIT_LEDGER"):
        ledger()


def test_a_service_without_a_ledger_fails_loudly_and_saves_nothing(settings):
    licence = standard_licence()
    settings.CUSTOMERS_CREDIT_LEDGER = ""
    with pytest.raises(ImproperlyConfigured):
        services.rental_period_create(licence=licence, start=JAN1, end=DEC31, annual_rent=RENT)
    assert not RentalPeriod.objects.filter(licence=licence).exists()


# --- no signals: a row written past the services grants nothing -------------------------

CREDIT_MODELS = [
    RentalPeriod,
    Licence,
    Licence.modules.through,
    SupportPlusSubscription,
    SupportPlusRegistration,
]
MODEL_SIGNALS = {
    "pre_save": pre_save,
    "post_save": post_save,
    "pre_delete": pre_delete,
    "post_delete": post_delete,
    "m2m_changed": m2m_changed,
}
OUR_PACKAGES = ("customers", "billing", "cases", "q3helpdesk")


def _module_of(receiver) -> str:
    """The module a receiver's code lives in (through partials and bound methods)."""
    while hasattr(receiver, "func") and not hasattr(receiver, "__code__"):
        receiver = receiver.func  # functools.partial
    receiver = getattr(receiver, "__func__", receiver)  # bound method
    return getattr(receiver, "__module__", None) or type(receiver).__module__


@pytest.mark.parametrize("model", CREDIT_MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("signal_name", MODEL_SIGNALS)
def test_no_receiver_of_ours_listens_to_the_rows_credit_comes_from(model, signal_name):
    sync_receivers, async_receivers = MODEL_SIGNALS[signal_name]._live_receivers(model)
    ours = [
        f"{_module_of(r)}.{getattr(r, '__qualname__', r)}"
        for r in [*sync_receivers, *async_receivers]
        if _module_of(r).split(".")[0] in OUR_PACKAGES
    ]
    assert ours == [], f"{signal_name} of {model.__name__} has receivers of the project: {ours}"


def test_the_receiver_check_sees_a_receiver_of_ours():
    # The check above would notice one: connect a receiver from this package for a moment.
    def on_save(sender, **kwargs):
        pass

    on_save.__module__ = "customers.signals"
    post_save.connect(on_save, sender=RentalPeriod, weak=False, dispatch_uid="probe-credit")
    try:
        receivers, _ = post_save._live_receivers(RentalPeriod)
        assert "customers.signals" in [_module_of(r) for r in receivers]
    finally:
        post_save.disconnect(sender=RentalPeriod, dispatch_uid="probe-credit")


def test_a_rental_period_saved_past_the_services_grants_no_credit():
    licence = standard_licence()
    period = RentalPeriod.objects.create(licence=licence, start=JAN1, end=DEC31, annual_rent=RENT)
    assert not CreditGrant.objects.filter(rental_period=period).exists()
    period.end = JUN30
    period.save()
    assert not CreditGrant.objects.exists()


def test_a_licence_changed_past_the_services_keeps_its_grants():
    licence = standard_licence(modules=("COFI",))
    services.rental_period_create(licence=licence, start=JAN1, end=DEC31, annual_rent=RENT)
    licence.variant = "premium"
    licence.save()
    licence.modules.set(Module.objects.filter(code__in=["COFI", "SAL"]))
    assert licence_grant_minutes(licence) == [5]  # only a service re-derives the credit


def test_a_support_plus_subscription_saved_past_the_services_grants_no_credit():
    customer, person = profi_customer()
    subscription = SupportPlusSubscription.objects.create(customer=customer, start=JAN1, end=DEC31)
    SupportPlusRegistration.objects.create(subscription=subscription, contact=person, position=1)
    assert not CreditGrant.objects.filter(support_plus=subscription).exists()
