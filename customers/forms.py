"""Forms of the customer pages: a new customer with its first contact, a contact."""

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from q3helpdesk.guards import SafeTextForm

from .models import Language

CUSTOMER_FIELDS = (
    "name",
    "street",
    "house_number",
    "postcode",
    "city",
    "language",
    "email",
    "phone",
)
CONTACT_FIELDS = ("contact_name", "contact_role", "contact_email", "contact_phone")


class CustomerForm(SafeTextForm, forms.Form):
    """A new customer; the caller becomes its first contact; a possible duplicate must be
    confirmed (``confirm_duplicate``) before the customer is created."""

    name = forms.CharField(label=_("Name"), max_length=140)
    street = forms.CharField(label=_("Street"), max_length=70, required=False)
    house_number = forms.CharField(label=_("House number"), max_length=16, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=16, required=False)
    city = forms.CharField(label=_("City"), max_length=35, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    contact_name = forms.CharField(label=_("Caller's name"), max_length=140, required=False)
    contact_role = forms.CharField(label=_("Role"), max_length=80, required=False)
    contact_email = forms.EmailField(label=_("Caller's e-mail"), required=False)
    contact_phone = forms.CharField(label=_("Caller's phone"), max_length=40, required=False)
    confirm_duplicate = forms.BooleanField(
        label=_("None of these is the caller's company: create a new customer anyway."),
        required=False,
    )

    def clean(self):
        data = super().clean()
        if (data.get("contact_email") or data.get("contact_phone")) and not data.get(
            "contact_name"
        ):
            self.add_error("contact_name", _("Give the caller's name with their phone or e-mail."))
        return data

    def customer_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in CUSTOMER_FIELDS}

    def contact_data(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["contact_name"],
            "role": data["contact_role"],
            "email": data["contact_email"],
            "phone": data["contact_phone"],
        }

    def customer_fields(self):
        return [self[name] for name in CUSTOMER_FIELDS]

    def contact_fields(self):
        return [self[name] for name in CONTACT_FIELDS]


class ContactForm(SafeTextForm, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=140)
    role = forms.CharField(
        label=_("Role"),
        max_length=80,
        required=False,
        help_text=_("For example: accounting, owner, IT."),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("The customer's language")), *Language.choices],
        required=False,
    )


class ErpUploadForm(forms.Form):
    """An ERP export to load: CSV or XLSX, checked by a dry run before anything is written."""

    file = forms.FileField(
        label=_("ERP file (CSV or XLSX)"),
        validators=[FileExtensionValidator(["csv", "tsv", "txt", "xlsx"])],
        help_text=_(
            "One row per customer, contact, licence, rental period, half-fare or Support+"
            " subscription, with the customer's number; headers in French, German or English."
        ),
    )
