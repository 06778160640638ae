from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import ActivityRate, CreditAllowance, Tariff
        from .selectors.tariffs import tariffs_changed

        # The rows kept of used tariffs (billing.selectors.tariffs): a cache, not a rule.
        for model in (Tariff, ActivityRate, CreditAllowance):
            post_save.connect(tariffs_changed, sender=model, dispatch_uid=f"tariffs-{model}")
            post_delete.connect(tariffs_changed, sender=model, dispatch_uid=f"tariffs-{model}-")
