from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from customers.hooks import register_credit_change_check, register_support_plus_capacity

        from . import signals  # noqa: F401  (connects the grant handlers)
        from .selectors import support_plus_capacity
        from .services import check_credit_change

        register_support_plus_capacity(support_plus_capacity)
        register_credit_change_check(check_credit_change)
