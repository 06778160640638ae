from django.urls import path

from . import views

app_name = "api"

urlpatterns = [
    path("customers/", views.CustomerList.as_view(), name="customers"),
    path("customers/<str:number>/", views.CustomerDetail.as_view(), name="customer"),
    path("caller/", views.Caller.as_view(), name="caller"),
    path("cases/", views.CaseList.as_view(), name="cases"),
    path("cases/<int:pk>/", views.CaseDetail.as_view(), name="case"),
    path("usages/", views.UsageList.as_view(), name="usages"),
    path("invoices/", views.InvoiceList.as_view(), name="invoices"),
    path("invoices/<str:number>/", views.InvoiceDetail.as_view(), name="invoice"),
    path("invoices/<str:number>/pdf/", views.InvoicePdf.as_view(), name="invoice_pdf"),
]
