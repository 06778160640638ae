"""The desk's pages: lookup, customers, cases as conversations with time entries (htmx),
callbacks, the inbox of incoming e-mail, attachment downloads.

One module per concept; ``cases/urls.py`` takes the views from here:

- ``lookup``: the caller lookup and the customer pages
- ``cases``: the case list, a new case, the case page and what the desk does to a case
- ``time_entries``: logging and removing time on a case, the price of an entry (htmx)
- ``callbacks``: scheduling callbacks, the queue and its actions, the list of callbacks
- ``emails``: writing support e-mails from a case, canned replies, sending again
- ``inbox``: incoming e-mails not yet on a case, assigned to a customer
- ``downloads``: attachments and raw messages as downloads
"""

from .callbacks import (
    CallbackListView,
    callback_attempt,
    callback_cancel,
    callback_claim,
    callback_new,
    callback_queue,
    callback_release,
)
from .cases import (
    CaseListView,
    case_detail,
    case_new,
    case_status,
    case_take,
    case_verified_bug,
    case_verified_bug_undo,
    note_add,
)
from .downloads import attachment_download, inbound_raw
from .emails import canned_reply_text, email_form, email_new, email_retry
from .inbox import inbox, inbox_assign, inbox_detail
from .lookup import customer_detail, customer_new, lookup
from .time_entries import time_entry_add, time_entry_quote, time_entry_remove

__all__ = [
    "CallbackListView",
    "CaseListView",
    "attachment_download",
    "callback_attempt",
    "callback_cancel",
    "callback_claim",
    "callback_new",
    "callback_queue",
    "callback_release",
    "canned_reply_text",
    "case_detail",
    "case_new",
    "case_status",
    "case_take",
    "case_verified_bug",
    "case_verified_bug_undo",
    "customer_detail",
    "customer_new",
    "email_form",
    "email_new",
    "email_retry",
    "inbound_raw",
    "inbox",
    "inbox_assign",
    "inbox_detail",
    "lookup",
    "note_add",
    "time_entry_add",
    "time_entry_quote",
    "time_entry_remove",
]
