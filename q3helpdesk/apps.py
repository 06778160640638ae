from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Q3HelpdeskConfig(AppConfig):
    name = "q3helpdesk"
    verbose_name = _("Q3 help desk")
