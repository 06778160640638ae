"""WSGI entry point (gunicorn q3helpdesk.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "q3helpdesk.settings")

application = get_wsgi_application()
