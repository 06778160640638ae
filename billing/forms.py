from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from q3helpdesk.guards import SafeTextForm
from q3helpdesk.ui.filters import DATE_INPUT

from .models import Invoice


def last_month() -> tuple[date, date]:
    first_of_this = timezone.localdate().replace(day=1)
    end = first_of_this - timedelta(days=1)
    return end.replace(day=1), end


class InvoiceRunForm(forms.Form):
    period_start = forms.DateField(label=_("Period from"), widget=DATE_INPUT)
    period_end = forms.DateField(label=_("Period until"), widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        start, end = last_month()
        self.fields["period_start"].initial = start
        self.fields["period_end"].initial = end


class InvoiceIssueForm(forms.Form):
    issued_on = forms.DateField(label=_("Invoice date"), widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issued_on"].initial = timezone.localdate()


class InvoiceCancelForm(SafeTextForm, forms.Form):
    reason = forms.CharField(label=_("Reason for the cancellation"), max_length=200)


BULK_ISSUE_MAX = 100


class DraftChoiceField(forms.ModelMultipleChoiceField):
    """Checked drafts by id; an id no database could hold is an invalid choice, not a
    database error."""

    def _check_values(self, value):
        for pk in value if isinstance(value, list | tuple) else [value]:
            text = str(pk)
            if not (text.isascii() and text.isdigit()) or int(text) > 2**63 - 1:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class InvoiceBulkIssueForm(forms.Form):
    """The drafts checked on the invoice list and the date they are all issued with."""

    invoices = DraftChoiceField(
        queryset=None,
        error_messages={"required": _("Check the drafts to issue first.")},
    )
    issued_on = forms.DateField(label=_("Invoice date"), widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The oldest draft gets the lower number.
        # Any invoice: a draft issued meanwhile by a colleague is reported by the service
        # ("already issued") while the other checked drafts are issued.
        self.fields["invoices"].queryset = Invoice.objects.select_related("customer").order_by("pk")
        self.fields["issued_on"].initial = timezone.localdate()

    def clean_invoices(self):
        invoices = self.cleaned_data["invoices"]
        if len(invoices) > BULK_ISSUE_MAX:
            raise forms.ValidationError(
                _("At most %(max)d drafts can be issued at once.") % {"max": BULK_ISSUE_MAX}
            )
        return invoices
