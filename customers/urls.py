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
]
