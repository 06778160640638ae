"""What ``q3helpdesk.ui.rendering`` saves per row must give what Django gives: a phone
number's text as ``{{ phone }}``, a URL as ``reverse()``."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, reverse
from phonenumber_field.phonenumber import PhoneNumber

from q3helpdesk.ui.rendering import NumberedUrl, phone_text


@pytest.mark.parametrize(
    "number",
    ["+41791234567", "+41313812210", "+4930123456", "+41000", "+1 202 555 0143", "031 381 22 10"],
)
@pytest.mark.parametrize("shown_as", ["INTERNATIONAL", "NATIONAL", "E164"])
def test_a_phone_number_reads_as_the_template_shows_it(number, shown_as):
    with override_settings(PHONENUMBER_DEFAULT_FORMAT=shown_as):
        phone = PhoneNumber.from_string(number, region="CH")
        assert phone_text(phone) == str(phone)
        assert phone_text(phone) == str(phone)  # remembered: the same


@pytest.mark.parametrize("value", ["", None, "not a number"])
def test_what_is_no_phone_number_reads_as_its_text(value):
    assert phone_text(value) == str(value)


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "values"),
    [
        ("case_detail", 1, (), [105294]),
        ("callback_claim", 1, (), ["7"]),
        ("customer_detail", 0, ("number",), ["106311"]),
        ("contact_edit", 2, (), ["106311", 4]),
        ("customer_detail", 0, ("number",), ["Müller & Fils"]),  # not a number: reversed
    ],
)
def test_numbered_urls_are_the_reversed_ones(name, args, kwargs, values):
    url = NumberedUrl(name, args=args, kwargs=kwargs)
    named = dict(zip(kwargs, values[args:], strict=True))
    expected = reverse(name, args=values[:args] or None, kwargs=named or None)
    assert url(*values) == expected


def test_a_value_reverse_refuses_is_refused():
    with pytest.raises(NoReverseMatch):
        NumberedUrl("customer_detail", kwargs=("number",))("a/b")
    with pytest.raises(NoReverseMatch):
        NumberedUrl("case_detail", args=1)("-1")


def test_a_url_without_arguments_and_an_unknown_one():
    assert NumberedUrl("case_list")() == reverse("case_list")
    unknown = NumberedUrl("no_such_page", args=1)
    assert unknown.parts is None
    with pytest.raises(NoReverseMatch, match="no_such_page"):
        unknown(1)
