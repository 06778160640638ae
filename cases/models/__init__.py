"""Cases (calls, e-mails, sessions) with their time entries, callbacks and e-mails.

Time is charged by billing: each time entry is a usage of the ledger with the case's
reference as ``work_ref``; removing an entry posts the reversal, the entry stays visible.

One module per concept; import the models from here:

- ``cases``: the case (status, kind, channel), its internal notes, its timeline events and
  its texts for search
- ``time_entries``: the minutes logged on a case
- ``callbacks``: callbacks with their windows and attempts (R11)
- ``emails``: support e-mails, incoming messages, attachments, canned replies (R15)
- ``rollups``: cases opened and resolved per day, for the dashboard
"""

from .callbacks import AttemptOutcome, Callback, CallbackAttempt, CallbackStatus, CallbackWindow
from .cases import (  # type: ignore[attr-defined]  # HistoricalCase: made at runtime, see below
    ACTIVE_STATUSES,
    URGENT,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseKind,
    CaseNote,
    CaseSearch,
    CaseStatus,
    Channel,
    HistoricalCase,  # made by simple-history next to Case when the model is defined
)
from .emails import (
    CannedReply,
    EmailAttachment,
    EmailStatus,
    InboundEmail,
    InboundStatus,
    SupportEmail,
    attachment_path,
    raw_message_path,
)
from .rollups import DailyCases
from .time_entries import TimeEntry

__all__ = [
    "ACTIVE_STATUSES",
    "URGENT",
    "AttemptOutcome",
    "Callback",
    "CallbackAttempt",
    "CallbackStatus",
    "CallbackWindow",
    "CannedReply",
    "Case",
    "CaseEvent",
    "CaseEventKind",
    "CaseKind",
    "CaseNote",
    "CaseSearch",
    "CaseStatus",
    "Channel",
    "DailyCases",
    "EmailAttachment",
    "EmailStatus",
    "HistoricalCase",
    "InboundEmail",
    "InboundStatus",
    "SupportEmail",
    "TimeEntry",
    "attachment_path",
    "raw_message_path",
]
