"""Reads of the desk, one module per concept; import them from here.

- ``lists``: cases with their cost, the working order of the case list, the text search
- ``customers``: the customer page (status, credit, recent cases and e-mails)
- ``inbox``: incoming e-mails waiting for a customer
- ``timeline``: the case as one conversation
- ``callbacks``: the callback states and queues, the desk's users

The caller lookup lives with the customers (it searches customers and contacts); the desk
imports it from here as it always has.
"""

from customers.selectors import LookupResult, customer_lookup, normalise_phone

from .. import search
from .callbacks import (
    CallbackState,
    callback_expired_q,
    callback_state_q,
    callbacks_due_count,
    callbacks_due_q,
    callbacks_for,
    callbacks_missed,
    callbacks_open,
    callbacks_waiting,
    desk_users,
)
from .customers import (
    CustomerPage,
    customer_emails,
    customer_page,
)
from .inbox import (
    WAITING,
    inbox_messages,
    inbox_waiting_count,
)
from .lists import (
    MAX_SEARCH_WORDS,
    RANKED_MATCHES,
    SEARCH_WORDS,
    SNIPPET_PLACES,
    SearchMatches,
    SearchSnippet,
    case_costs,
    case_search,
    case_search_in_order,
    cases_for_list,
    cases_in_list_order,
    search_snippet,
)
from .timeline import (
    TimelineItem,
    case_timeline,
)

lookup = customer_lookup

__all__ = [
    "MAX_SEARCH_WORDS",
    "RANKED_MATCHES",
    "SEARCH_WORDS",
    "SNIPPET_PLACES",
    "WAITING",
    "CallbackState",
    "CustomerPage",
    "LookupResult",
    "SearchMatches",
    "SearchSnippet",
    "TimelineItem",
    "callback_expired_q",
    "callback_state_q",
    "callbacks_due_count",
    "callbacks_due_q",
    "callbacks_for",
    "callbacks_missed",
    "callbacks_open",
    "callbacks_waiting",
    "case_costs",
    "case_search",
    "case_search_in_order",
    "case_timeline",
    "cases_for_list",
    "cases_in_list_order",
    "customer_emails",
    "customer_page",
    "desk_users",
    "inbox_messages",
    "inbox_waiting_count",
    "lookup",
    "normalise_phone",
    "search",
    "search_snippet",
]
