from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.selectors import activity_choices
from customers.models import Contact, Customer
from q3helpdesk.guards import SafeTextForm
from q3helpdesk.ui.filters import DATE_INPUT

from .models import AttemptOutcome, CaseKind, CaseStatus, Channel, InboundEmail


class CaseForm(SafeTextForm, forms.Form):
    contact = forms.ModelChoiceField(
        label=_("Contact"), queryset=Contact.objects.none(), required=False
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=CaseKind.choices, initial=CaseKind.CASE, widget=forms.HiddenInput
    )
    opened_on = forms.DateField(
        label=_("Received on"),
        widget=DATE_INPUT,
        required=False,
        help_text=_("Today, or a few days back for a call recorded late."),
    )

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = customer.contacts.order_by("name")
        self.fields["opened_on"].initial = timezone.localdate()


class TimeEntryForm(SafeTextForm, forms.Form):
    activity = forms.ChoiceField(label=_("Activity"))
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=720)
    performed_on = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_performed_on(self):
        day = self.cleaned_data["performed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Work cannot be logged for a day in the future."))
        return day

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The activities of today's tariff (R4); without a tariff the service says why.
        self.fields["activity"].choices = activity_choices(on=timezone.localdate())


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=CaseStatus.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class VerifiedBugForm(SafeTextForm, forms.Form):
    bug_reference = forms.CharField(label=_("Bug reference"), max_length=64)


TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class CallbackForm(SafeTextForm, forms.Form):
    phone = forms.CharField(label=_("Number to call"), max_length=40)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class CallbackWindowForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=DATE_INPUT, required=False)
    starts = forms.TimeField(label=_("From"), widget=TIME, required=False)
    ends = forms.TimeField(label=_("To"), widget=TIME, required=False)

    def clean(self):
        cleaned = super().clean()
        given = [cleaned.get(name) for name in ("day", "starts", "ends")]
        if any(given) and not all(given):
            raise forms.ValidationError(_("Give the date, the start and the end of the window."))
        return cleaned


CallbackWindowFormSet = forms.formset_factory(
    CallbackWindowForm, extra=5, max_num=5, validate_max=True
)


class AttemptForm(SafeTextForm, forms.Form):
    # No outcome is preselected: the desk says what happened, a slip does not log "reached".
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("Outcome…")), *AttemptOutcome.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )


class CallbackCancelForm(SafeTextForm, forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "placeholder": _("Why cancel? e.g. the customer called again"),
            }
        ),
    )


class EmailForm(SafeTextForm, forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The current support credit is added at the end."),
    )

    # The customer's message answered: the reply goes to its sender with the thread headers.
    reply_to = forms.ModelChoiceField(
        queryset=InboundEmail.objects.none(), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        if case is not None:
            # The subject is stored with "[C-n] " once (a reply's prefilled subject has it
            # already): email_send checks the length of the subject as it will be stored.
            self.fields["reply_to"].queryset = case.inbound_emails.all()
        self.fields["reply_to"].error_messages["invalid_choice"] = _(
            "Answer a message of this case."
        )


class NoteForm(SafeTextForm, forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the staff only: never e-mailed to the customer."),
    )


class InboxAssignForm(SafeTextForm, forms.Form):
    customer = forms.CharField(
        label=_("Customer number"),
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_customer(self):
        number = self.cleaned_data["customer"].strip()
        customer = Customer.objects.filter(number=number).first() if number.isdigit() else None
        if customer is None:
            raise forms.ValidationError(
                _("No customer has the number %(number)s.") % {"number": number[:10]}
            )
        return customer
