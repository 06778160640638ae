"""Customers and their contact persons, with the language they are written to in."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from .keys import NameKeyed


class Language(models.TextChoices):
    FR = "fr", _("French")
    DE = "de", _("German")
    EN = "en", _("English")


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
