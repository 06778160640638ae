from django.urls import path

from . import views

urlpatterns = [
    path("lookup/", views.lookup, name="lookup"),
    path("customers/new/", views.customer_new, name="customer_new"),
    path("customers/<str:number>/", views.customer_detail, name="customer_detail"),
    path("cases/", views.CaseListView.as_view(), name="case_list"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/status/", views.case_status, name="case_status"),
    path("cases/<int:pk>/take/", views.case_take, name="case_take"),
    path("cases/<int:pk>/verified-bug/", views.case_verified_bug, name="case_verified_bug"),
    path(
        "cases/<int:pk>/verified-bug/undo/",
        views.case_verified_bug_undo,
        name="case_verified_bug_undo",
    ),
    path("cases/<int:pk>/entries/", views.time_entry_add, name="time_entry_add"),
    path("cases/<int:pk>/entries/quote/", views.time_entry_quote, name="time_entry_quote"),
    path("cases/<int:pk>/callbacks/new/", views.callback_new, name="callback_new"),
    path("cases/<int:pk>/emails/", views.email_new, name="email_new"),
    path("cases/<int:pk>/emails/form/", views.email_form, name="email_form"),
    path(
        "cases/<int:pk>/canned/<int:reply_pk>/",
        views.canned_reply_text,
        name="canned_reply_text",
    ),
    path("cases/<int:pk>/notes/", views.note_add, name="note_add"),
    path("emails/<int:pk>/retry/", views.email_retry, name="email_retry"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.inbox_detail, name="inbox_detail"),
    path("inbox/<int:pk>/raw/", views.inbound_raw, name="inbound_raw"),
    path("inbox/<int:pk>/assign/", views.inbox_assign, name="inbox_assign"),
    path("callbacks/", views.callback_queue, name="callback_queue"),
    path("callbacks/all/", views.CallbackListView.as_view(), name="callback_list"),
    path("callbacks/<int:pk>/claim/", views.callback_claim, name="callback_claim"),
    path("callbacks/<int:pk>/attempt/", views.callback_attempt, name="callback_attempt"),
    path("callbacks/<int:pk>/cancel/", views.callback_cancel, name="callback_cancel"),
    path("callbacks/<int:pk>/release/", views.callback_release, name="callback_release"),
    path(
        "cases/<int:pk>/entries/<int:entry_pk>/remove/",
        views.time_entry_remove,
        name="time_entry_remove",
    ),
]
