from django.urls import path

from . import views

urlpatterns = [
    path("", views.account, name="account"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path(
        "two-factor/recovery-codes/",
        views.recovery_codes_regenerate,
        name="two_factor_recovery_codes",
    ),
    path("two-factor/remove/", views.two_factor_remove, name="two_factor_remove"),
]
