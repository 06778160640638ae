from django.urls import path

from . import views

app_name = "billing"
urlpatterns = [
    path("ledger/", views.LedgerView.as_view(), name="ledger"),
    path("grants/", views.CreditGrantListView.as_view(), name="grants"),
]
