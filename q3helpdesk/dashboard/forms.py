"""The dashboard's period picker."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from q3helpdesk.ui.filters import DATE_INPUT, DateRangeFilterSet

from .periods import MAX_DAYS, Period, preset

PERIOD_CHOICES = [
    ("month", _("This month")),
    ("last_month", _("Last month")),
    ("quarter", _("This quarter")),
    ("year", _("This year")),
    ("custom", _("Custom range")),
]


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    end = forms.DateField(label=_("Until"), required=False, widget=DATE_INPUT)

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        key = data.get("period") or ("custom" if data.get("start") or data.get("end") else "month")
        data["period"] = key
        if key != "custom":
            data["range"] = preset(key, self.today)
            return data
        start, end = data.get("start"), data.get("end")
        if self.errors:
            return data
        if not start or not end:
            raise forms.ValidationError(_("Give the first and the last day of the range."))
        earliest, latest = DateRangeFilterSet.earliest, DateRangeFilterSet.latest
        for value in (start, end):
            if not earliest <= value <= latest:
                raise forms.ValidationError(
                    _("Choose a date between %(first)s and %(last)s.")
                    % {"first": f"{earliest:%d.%m.%Y}", "last": f"{latest:%d.%m.%Y}"}
                )
        if end < start:
            raise forms.ValidationError(_("The end date cannot be before the start date."))
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(
                _("Choose a range of at most %(days)s days.") % {"days": MAX_DAYS}
            )
        data["range"] = Period(start, end)
        return data
