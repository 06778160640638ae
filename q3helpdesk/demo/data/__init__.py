"""Demo data for the ``seed_demo`` management command.

Everything here is fictional: the persons, businesses, e-mail addresses, domains and phone
numbers are invented for demonstration purposes and do not refer to real people or companies.
Only the places are real: every postcode matches its city, canton and landline area code.

This package is pure Python (no Django imports) so it can be imported and tested on its own.
One module per use; import the data from here:

- ``customers``: the hand-written demo customers and their contacts
- ``names``: places, streets, names and kinds of business the generated customers are made of
- ``case_texts``: the subjects of the cases of a year of desk activity
"""

from .case_texts import CALLBACK_PREFIX, INSTALL_SUBJECT, LEAD_SUBJECTS, REMOTE_SUBJECTS, SUBJECTS
from .customers import DEMO_CUSTOMERS, DemoContact, DemoCustomer
from .names import (
    BUSINESS_KINDS_DE,
    BUSINESS_KINDS_FR,
    FIRST_NAMES_DE,
    FIRST_NAMES_FR,
    LAST_NAMES_DE,
    LAST_NAMES_FR,
    PLACES,
    STREETS_DE,
    STREETS_FR,
    Place,
)

__all__ = [
    "BUSINESS_KINDS_DE",
    "BUSINESS_KINDS_FR",
    "CALLBACK_PREFIX",
    "DEMO_CUSTOMERS",
    "FIRST_NAMES_DE",
    "FIRST_NAMES_FR",
    "INSTALL_SUBJECT",
    "LAST_NAMES_DE",
    "LAST_NAMES_FR",
    "LEAD_SUBJECTS",
    "PLACES",
    "REMOTE_SUBJECTS",
    "STREETS_DE",
    "STREETS_FR",
    "SUBJECTS",
    "DemoContact",
    "DemoCustomer",
    "Place",
]
