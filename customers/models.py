"""Customers, their licences and rental periods, and their subscriptions.

Rules that concern one row live in ``clean()`` and database constraints; rules that need
other rows or other apps (overlaps under a lock, Support+ capacity) live in the services.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Count, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords


def search_key(text: str) -> str:
    """Text as the lookup compares it: lower case, without accents (Müller → muller)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


# German written without umlauts: "ae", "oe", "ue" stand for "ä", "ö", "ü".
_UMLAUT_SPELLING = re.compile(r"(?<=[aou])e")


def fold_key(text: str) -> str:
    """Text as the lookup compares German spellings: the search key with "ae", "oe", "ue"
    read as "a", "o", "u" (and "ß" as "ss"), so that Müller, Mueller and Muller all give
    "muller", Bärtschi and Baertschi "bartschi", Straße and Strasse "strasse"."""
    return _UMLAUT_SPELLING.sub("", search_key(text))


class NameKeyed(models.Model):
    """Keeps ``name_key`` and ``fold_key``, the name as the caller lookup compares it (see
    search_key and fold_key). Rows written with ``bulk_create`` must set them themselves."""

    name_key = models.CharField(max_length=140, blank=True, editable=False, db_index=True)
    fold_key = models.CharField(max_length=140, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # The key of a name that fits its column can be longer than the name ("ß" → "ss",
        # "ﬁ" → "fi"); the lookup matches on the part that fits rather than failing.
        self.name_key = search_key(self.name)[: self._meta.get_field("name_key").max_length]
        self.fold_key = fold_key(self.name)[: self._meta.get_field("fold_key").max_length]
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key", "fold_key"}
        super().save(*args, **kwargs)


class Language(models.TextChoices):
    FR = "fr", _("French")
    DE = "de", _("German")
    EN = "en", _("English")


class LicenceKind(models.TextChoices):
    RENTAL = "rental", _("Rental")
    PURCHASE = "purchase", _("Purchase")


class LicenceVariant(models.TextChoices):
    STANDARD = "standard", _("Standard")
    ADVANCED = "advanced", _("Advanced")
    PROFI = "profi", _("Profi")
    PREMIUM = "premium", _("Premium")


# Variants that may take a Support+ subscription (R7).
SUPPORT_PLUS_VARIANTS = frozenset({LicenceVariant.PROFI, LicenceVariant.PREMIUM})

Span = tuple[date, date]  # (first day, last day), both inclusive


def spans_cover(spans: Iterable[Span], start: date, end: date) -> date | None:
    """The first day of ``start``–``end`` that none of ``spans`` covers; None if all are.

    Spans may overlap or follow each other: 2026 and an already entered 2027 renewal
    together cover 01.07.2026–30.06.2027, as long as no day lies between them.
    """
    day = start
    for first, last in sorted(spans):
        if day > end:
            break
        if first > day:
            return day
        if last >= end:
            return None
        if last >= day:
            day = last + timedelta(days=1)
    return day if day <= end else None


def newly_uncovered(
    before: Iterable[Span], after: Iterable[Span], start: date, end: date
) -> date | None:
    """The first day of ``start``–``end`` that ``before`` covers and ``after`` does not.

    A change is judged by what it takes away: a subscription that already lacked a day
    (entered before the rule held for the whole term) does not block unrelated changes.
    """
    after = list(after)
    days = (
        spans_cover(after, max(first, start), min(last, end))
        for first, last in before
        if first <= end and last >= start
    )
    return min((day for day in days if day is not None), default=None)


def format_span(start: date, end: date) -> str:
    """01.01.–31.12.2026 within a year, 01.07.2026–30.06.2027 across two."""
    if start.year == end.year:
        return f"{start:%d.%m.}–{end:%d.%m.%Y}"
    return f"{start:%d.%m.%Y}–{end:%d.%m.%Y}"


customer_number_validator = RegexValidator(
    r"^[1-9][0-9]{3,9}$", _("A customer number has 4 to 10 digits and does not start with 0.")
)
country_validator = RegexValidator(
    r"^[A-Z]{2}$", _("Enter the country as a two-letter ISO code, for example CH.")
)


class Customer(NameKeyed):
    number = models.CharField(
        _("customer number"), max_length=10, unique=True, validators=[customer_number_validator]
    )
    name = models.CharField(_("name"), max_length=140)
    street = models.CharField(_("street"), max_length=70, blank=True)
    house_number = models.CharField(_("house number"), max_length=16, blank=True)
    postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=35, blank=True)
    country = models.CharField(
        _("country"), max_length=2, default="CH", validators=[country_validator]
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.FR
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = PhoneNumberField(_("phone"), blank=True, region="CH")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Who changed what (issue 15); the lookup keys are derived from the name.
    history = HistoricalRecords(excluded_fields=["name_key", "fold_key"])

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "number"]
        indexes = [
            models.Index(fields=["name"], name="customer_name_idx"),
            models.Index(fields=["phone"], name="customer_phone_idx"),
            models.Index(fields=["email"], name="customer_email_idx"),
            # The customer list filters and sorts by city; a new customer is compared with
            # the customers of its postcode (possible duplicates).
            models.Index(fields=["city", "name"], name="customer_city_idx"),
            models.Index(Upper("city"), name="customer_city_upper_idx"),
            models.Index(fields=["postcode", "fold_key"], name="customer_postcode_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def clean(self) -> None:
        # Swiss and Liechtenstein postcodes are four digits (the QR-bill needs them right).
        if (
            self.country in {"CH", "LI"}
            and self.postcode
            and not re.fullmatch(r"[0-9]{4}", self.postcode)
        ):
            raise ValidationError(
                {"postcode": _("A Swiss postcode has four digits, for example 3011.")}
            )


class Contact(NameKeyed):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=140)
    role = models.CharField(
        _("role"), max_length=80, blank=True, help_text=_("For example: accounting, owner, IT.")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = PhoneNumberField(_("phone"), blank=True, region="CH")
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=Language.choices,
        blank=True,
        help_text=_("Empty: the customer's language."),
    )
    history = HistoricalRecords(excluded_fields=["name_key", "fold_key"])

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["phone"], name="contact_phone_idx"),
            models.Index(fields=["email"], name="contact_email_idx"),
            models.Index(fields=["name"], name="contact_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Module(models.Model):
    code = models.CharField(
        _("code"),
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9]*$", _("Use capital letters and digits."))],
    )
    name = models.CharField(_("name"), max_length=80)
    is_main = models.BooleanField(
        _("main module"),
        default=False,
        help_text=_("Main modules (COFI, payroll, invoicing, creditors) decide the credit column."),
    )

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["-is_main", "code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class Licence(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="licences", verbose_name=_("customer")
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=LicenceKind.choices, default=LicenceKind.RENTAL
    )
    variant = models.CharField(_("variant"), max_length=10, choices=LicenceVariant.choices)
    modules = models.ManyToManyField(Module, related_name="licences", verbose_name=_("modules"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[modules])

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["customer", "id"]
        # The customer list filters by the variant of the current licence.
        indexes = [models.Index(fields=["variant", "kind"], name="licence_variant_idx")]

    def __str__(self) -> str:
        return f"{self.customer.number} {self.get_variant_display()} ({self.get_kind_display()})"

    def clean(self) -> None:
        if (
            self.pk
            and self.kind == LicenceKind.PURCHASE
            and RentalPeriod.objects.filter(licence_id=self.pk).exists()
        ):
            raise ValidationError(
                {"kind": _("This licence has rental periods; it cannot become a purchase licence.")}
            )
        if self.pk and self.kind and self.variant:
            check_support_plus_kept(licence=self)


class SupportPlusGuardedQuerySet(models.QuerySet):
    """Deleting rental periods or half-fare subscriptions in bulk keeps Support+ whole (R7)."""

    guarded_as = ""  # the keyword of check_support_plus_kept() for deleted rows

    def delete(self):
        check_support_plus_kept(**{self.guarded_as: list(self)})
        return super().delete()


class RentalPeriodQuerySet(SupportPlusGuardedQuerySet):
    guarded_as = "deleted_periods"


class HalfFareQuerySet(SupportPlusGuardedQuerySet):
    guarded_as = "deleted_half_fares"


class RentalPeriod(models.Model):
    """One year (or other span) of a rental licence; start and end are both inclusive."""

    licence = models.ForeignKey(
        Licence, on_delete=models.PROTECT, related_name="rental_periods", verbose_name=_("licence")
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    annual_rent = models.DecimalField(
        _("annual rent (CHF)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(0, _("The annual rent cannot be negative."))],
    )
    history = HistoricalRecords()

    objects = RentalPeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("rental period")
        verbose_name_plural = _("rental periods")
        ordering = ["licence", "start"]
        indexes = [models.Index(fields=["licence", "start", "end"], name="rentalperiod_span_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")),
                name="rentalperiod_end_after_start",
                violation_error_message=_("The end of a period cannot be before its start."),
            ),
            models.CheckConstraint(
                condition=Q(annual_rent__gte=0),
                name="rentalperiod_rent_not_negative",
                violation_error_message=_("The annual rent cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start:%d.%m.%Y}–{self.end:%d.%m.%Y}"

    def clean(self) -> None:
        try:
            licence = self.licence  # also the unsaved licence of an admin "add" page
        except Licence.DoesNotExist:
            return
        if licence.kind != LicenceKind.RENTAL:
            raise ValidationError(
                _("Only a rental licence has rental periods; this is a purchase licence.")
            )
        if self.pk and self.start and self.end and self.end >= self.start:
            check_support_plus_kept(periods=[self])
        if licence.pk and self.start and self.end and self.end >= self.start:
            overlapping = (
                RentalPeriod.objects.filter(
                    licence_id=licence.pk, start__lte=self.end, end__gte=self.start
                )
                .exclude(pk=self.pk)
                .order_by("start")
                .first()
            )
            if overlapping is not None:
                raise ValidationError(
                    _(
                        "This period overlaps the rental period %(other)s of the same licence;"
                        " the periods of one licence cannot overlap."
                    )
                    % {"other": overlapping}
                )

    def delete(self, *args, **kwargs):
        if self.pk is not None:
            check_support_plus_kept(deleted_periods=[self])
        return super().delete(*args, **kwargs)


class HalfFareSubscription(models.Model):
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="half_fare_subscriptions",
        verbose_name=_("customer"),
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    objects = HalfFareQuerySet.as_manager()

    class Meta:
        verbose_name = _("half-fare subscription")
        verbose_name_plural = _("half-fare subscriptions")
        ordering = ["customer", "start"]
        indexes = [models.Index(fields=["customer", "start", "end"], name="halffare_span_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")),
                name="halffare_end_after_start",
                violation_error_message=_("The end of a subscription cannot be before its start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer.number} {self.start:%d.%m.%Y}–{self.end:%d.%m.%Y}"

    def clean(self) -> None:
        if self.customer_id and self.start and self.end and self.end >= self.start:
            clash = (
                HalfFareSubscription.objects.filter(
                    customer_id=self.customer_id, start__lte=self.end, end__gte=self.start
                )
                .exclude(pk=self.pk)
                .first()
            )
            if clash is not None:
                raise ValidationError(
                    _(
                        "The customer already has a half-fare subscription from %(start)s to"
                        " %(end)s; subscriptions cannot overlap."
                    )
                    % {"start": f"{clash.start:%d.%m.%Y}", "end": f"{clash.end:%d.%m.%Y}"}
                )
        if self.pk and self.start and self.end and self.end >= self.start:
            check_support_plus_kept(half_fares=[self])

    def delete(self, *args, **kwargs):
        if self.pk is not None:
            check_support_plus_kept(deleted_half_fares=[self])
        return super().delete(*args, **kwargs)


class SupportPlusSubscription(models.Model):
    """A yearly Support+ subscription (R7); the first registered person is included."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="support_plus_subscriptions",
        verbose_name=_("customer"),
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    registered = models.ManyToManyField(
        Contact,
        through="SupportPlusRegistration",
        related_name="support_plus_subscriptions",
        verbose_name=_("registered persons"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Support+ subscription")
        verbose_name_plural = _("Support+ subscriptions")
        ordering = ["customer", "start"]
        indexes = [
            models.Index(fields=["customer", "start", "end"], name="supportplus_span_idx"),
            models.Index(fields=["start", "end"], name="supportplus_capacity_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")),
                name="supportplus_end_after_start",
                violation_error_message=_("The end of a subscription cannot be before its start."),
            ),
        ]

    def __str__(self) -> str:
        return f"Support+ {self.customer.number} {self.start:%d.%m.%Y}–{self.end:%d.%m.%Y}"


class SupportPlusRegistration(models.Model):
    """A contact registered for Support+; position 1 is included, further ones are billed."""

    subscription = models.ForeignKey(
        SupportPlusSubscription,
        on_delete=models.CASCADE,
        related_name="registrations",
        verbose_name=_("subscription"),
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        related_name="support_plus_registrations",
        verbose_name=_("contact"),
    )
    position = models.PositiveSmallIntegerField(_("position"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("registered person")
        verbose_name_plural = _("registered persons")
        ordering = ["subscription", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "contact"], name="supportplus_contact_once"
            ),
            models.UniqueConstraint(
                fields=["subscription", "position"], name="supportplus_position_once"
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="supportplus_position_gte_1"),
        ]

    def __str__(self) -> str:
        return str(self.contact)

    @property
    def is_additional(self) -> bool:
        return self.position > 1


# --- Support+ over its whole term (R7) ------------------------------------------------------


def _qualifies(licence: Licence) -> bool:
    return licence.kind == LicenceKind.RENTAL and licence.variant in SUPPORT_PLUS_VARIANTS


def support_plus_rental_spans(customer_id: int) -> list[Span]:
    """The saved rental periods of the customer's profi and premium rental licences."""
    return list(
        RentalPeriod.objects.filter(
            licence__customer_id=customer_id,
            licence__kind=LicenceKind.RENTAL,
            licence__variant__in=SUPPORT_PLUS_VARIANTS,
        ).values_list("start", "end")
    )


def half_fare_spans(customer_id: int) -> list[Span]:
    """The saved half-fare subscriptions of the customer."""
    return list(
        HalfFareSubscription.objects.filter(customer_id=customer_id).values_list("start", "end")
    )


def _rental_spans_before_after(
    customer_id: int,
    periods: list[RentalPeriod],
    deleted: list[RentalPeriod],
    licence: Licence | None,
) -> tuple[list[Span], list[Span]]:
    """Profi/premium rental spans of the customer as saved, and with the candidate values."""
    replaced = {p.pk for p in (*periods, *deleted) if p.pk is not None}
    saved_owner: dict[int, Licence] = {}
    before, after = [], []
    for row in RentalPeriod.objects.filter(licence__customer_id=customer_id).select_related(
        "licence"
    ):
        saved_owner[row.pk] = row.licence
        if _qualifies(row.licence):
            before.append((row.start, row.end))
        if row.pk not in replaced:
            after.append((row.start, row.end, row.licence))
    for period in periods:
        # A saved period is judged with its saved licence (a change of the licence is judged
        # through ``licence``), so that each change is reported once, where it is made.
        owner = saved_owner.get(period.pk)
        if owner is None:
            try:
                owner = period.licence
            except Licence.DoesNotExist:  # the unsaved licence of an admin "add" page
                continue
        after.append((period.start, period.end, owner))
    kept = []
    for start, end, owner in after:
        if licence is not None and licence.pk is not None and licence.pk == owner.pk:
            owner = licence
        if owner.customer_id == customer_id and _qualifies(owner):
            kept.append((start, end))
    return before, kept


def _half_fare_spans_before_after(
    customer_id: int, changed: list[HalfFareSubscription], deleted: list[HalfFareSubscription]
) -> tuple[list[Span], list[Span]]:
    replaced = {h.pk for h in (*changed, *deleted) if h.pk is not None}
    rows = HalfFareSubscription.objects.filter(customer_id=customer_id).values_list(
        "pk", "start", "end"
    )
    before = [(start, end) for _pk, start, end in rows]
    after = [(start, end) for pk, start, end in rows if pk not in replaced]
    after += [(h.start, h.end) for h in changed if h.customer_id == customer_id]
    return before, after


def check_support_plus_kept(
    *,
    periods: Iterable[RentalPeriod] = (),
    deleted_periods: Iterable[RentalPeriod] = (),
    licence: Licence | None = None,
    half_fares: Iterable[HalfFareSubscription] = (),
    deleted_half_fares: Iterable[HalfFareSubscription] = (),
) -> None:
    """Refuse a change after which a Support+ subscription would no longer meet R7.

    The arguments carry the candidate rows: saved rows with their new values (replacing
    what is saved), new rows, rows about to be deleted. Every Support+ subscription of the
    customers concerned, past ones included, must keep a profi or premium rental period on
    each day of its term, and a half-fare subscription on each day when it registers more
    than one person. Raises ``ValidationError`` saying what to do first.
    """
    periods, deleted_periods = list(periods), list(deleted_periods)
    half_fares, deleted_half_fares = list(half_fares), list(deleted_half_fares)
    period_pks = {p.pk for p in (*periods, *deleted_periods) if p.pk is not None}
    half_fare_pks = {h.pk for h in (*half_fares, *deleted_half_fares) if h.pk is not None}
    rental_changed = bool(period_pks) or (licence is not None and licence.pk is not None)
    # The customers that may lose something: the owners of the rows as saved.
    customers: set[int] = set()
    if period_pks:
        customers |= set(
            RentalPeriod.objects.filter(pk__in=period_pks).values_list(
                "licence__customer_id", flat=True
            )
        )
    if licence is not None and licence.pk is not None:
        customers |= set(
            Licence.objects.filter(pk=licence.pk).values_list("customer_id", flat=True)
        )
    if half_fare_pks:
        customers |= set(
            HalfFareSubscription.objects.filter(pk__in=half_fare_pks).values_list(
                "customer_id", flat=True
            )
        )
    for customer_id in sorted(customers):
        subscriptions = list(
            SupportPlusSubscription.objects.filter(customer_id=customer_id)
            .annotate(persons=Count("registrations"))
            .order_by("start")
        )
        if not subscriptions:
            continue
        if rental_changed:
            before, after = _rental_spans_before_after(
                customer_id, periods, deleted_periods, licence
            )
            for subscription in subscriptions:
                day = newly_uncovered(before, after, subscription.start, subscription.end)
                if day is not None and licence is not None and licence.pk is not None:
                    # The variant belongs to the licence, so to all of its periods, past ones
                    # too: a downgrade is a new licence, not an edit of the old one.
                    raise ValidationError(
                        _(
                            "The Support+ subscription %(subscription)s relies on this"
                            " licence's variant on %(day)s. The variant applies to every"
                            " rental period of the licence, past ones too: to move to a lower"
                            " variant, end this licence's rental period (and the Support+"
                            " subscription with it) and enter the new variant as a new"
                            " licence from the next day."
                        )
                        % {
                            "subscription": format_span(subscription.start, subscription.end),
                            "day": f"{day:%d.%m.%Y}",
                        }
                    )
                if day is not None:
                    raise ValidationError(
                        _(
                            "This change would leave the Support+ subscription %(subscription)s"
                            " without a profi or premium rental period on %(day)s: end or"
                            " shorten the Support+ subscription first."
                        )
                        % {
                            "subscription": format_span(subscription.start, subscription.end),
                            "day": f"{day:%d.%m.%Y}",
                        }
                    )
        shared = [s for s in subscriptions if s.persons > 1]
        if half_fare_pks and shared:
            before, after = _half_fare_spans_before_after(
                customer_id, half_fares, deleted_half_fares
            )
            for subscription in shared:
                day = newly_uncovered(before, after, subscription.start, subscription.end)
                if day is not None:
                    raise ValidationError(
                        _(
                            "This change would leave the Support+ subscription %(subscription)s"
                            " and its additional registered persons without a half-fare"
                            " subscription on %(day)s: end or shorten the Support+"
                            " subscription first."
                        )
                        % {
                            "subscription": format_span(subscription.start, subscription.end),
                            "day": f"{day:%d.%m.%Y}",
                        }
                    )
