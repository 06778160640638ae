from django.urls import path

from . import views

urlpatterns = [
    path("customers/", views.CustomerListView.as_view(), name="customer_list"),
    path("customers/<str:number>/contacts/new/", views.contact_new, name="contact_new"),
    path(
        "customers/<str:number>/contacts/<int:pk>/edit/",
        views.contact_edit,
        name="contact_edit",
    ),
    # Not under customers/: "customers/<str:number>/" is a customer's page.
    path("erp/import/", views.erp_import_new, name="erp_import_new"),
    path("erp/import/<int:pk>/", views.erp_import_detail, name="erp_import"),
    path("erp/import/<int:pk>/confirm/", views.erp_import_confirm_view, name="erp_import_confirm"),
    path("erp/export/", views.erp_export_download, name="erp_export"),
]
