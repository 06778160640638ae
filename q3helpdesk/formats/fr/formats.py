"""Swiss formats for every language of the desk: 26.11.2026, CHF 1'234.50.

Django's own fr/de formats write amounts with a decimal comma; Swiss invoices and banking
apps use the point and the apostrophe (SN 01 / QR-bill), so the desk does too.
"""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "j F Y H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1  # Monday
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = [
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = "'"
NUMBER_GROUPING = 3
