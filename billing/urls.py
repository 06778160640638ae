from django.urls import path

from . import views

app_name = "billing"
urlpatterns = [
    path("ledger/", views.LedgerView.as_view(), name="ledger"),
    path("grants/", views.CreditGrantListView.as_view(), name="grants"),
    path("invoices/", views.InvoiceListView.as_view(), name="invoices"),
    path("invoices/runs/", views.invoice_run_new, name="invoice_run_new"),
    path("invoices/runs/<int:pk>/", views.invoice_run_progress, name="invoice_run"),
    path("invoices/issue/", views.invoice_issue_bulk, name="invoice_issue_bulk"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/issue/", views.invoice_issue, name="invoice_issue"),
    path("invoices/<int:pk>/discard/", views.invoice_discard, name="invoice_discard"),
    path("invoices/<int:pk>/cancel/", views.invoice_cancel, name="invoice_cancel"),
    path(
        "invoices/<int:pk>/lines/<int:line_pk>/remove/",
        views.invoice_line_remove,
        name="invoice_line_remove",
    ),
]
