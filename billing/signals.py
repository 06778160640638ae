"""Keep the credit grants in step with the customer model.

``customers`` may not import ``billing`` (the dependency runs customers <- billing), so
billing listens: whenever a rental period, a licence (variant, kind, modules) or a Support+
subscription is saved, the matching ``grant_sync_*`` service re-derives its grant. The
handlers only dispatch; the rules are in the services.
"""

from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from customers.models import Licence, RentalPeriod, SupportPlusSubscription

from . import services


@receiver(post_save, sender=RentalPeriod, dispatch_uid="billing.grant_for_period")
def _period_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        services.grant_sync_for_period(period=instance)


@receiver(post_save, sender=Licence, dispatch_uid="billing.grant_for_licence")
def _licence_saved(sender, instance, created=False, raw=False, **kwargs):
    if not raw and not created:
        services.grant_sync_for_licence(licence=instance)


@receiver(m2m_changed, sender=Licence.modules.through, dispatch_uid="billing.grant_for_modules")
def _licence_modules_changed(sender, instance, action, reverse=False, pk_set=None, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if getattr(instance, "grant_sync_deferred", False):
        return  # the admin sets the modules in steps and syncs once on the final set
    if reverse:  # module.licences.add(...): every licence touched
        for licence in Licence.objects.filter(pk__in=pk_set or []):
            services.grant_sync_for_licence(licence=licence)
    else:
        services.grant_sync_for_licence(licence=instance)


@receiver(post_save, sender=SupportPlusSubscription, dispatch_uid="billing.grant_for_plus")
def _support_plus_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        services.grant_sync_for_support_plus(subscription=instance)
