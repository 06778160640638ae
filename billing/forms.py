from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.filters import DATE_INPUT


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


class InvoiceCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the cancellation"), max_length=200)
