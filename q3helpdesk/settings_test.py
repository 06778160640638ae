"""Settings for the test suite: the real settings, with a test key and fast hashing.

The database comes from DATABASE_URL exactly as in production, so the same suite runs on
SQLite (default) and on PostgreSQL.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-only-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "off")

from .settings import *  # noqa: F403
from .settings import BASE_DIR, STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / ".test-media"
# Tests serve static files through the finders, not from a collected STATIC_ROOT.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
# Close connections after each request, so the live server of the browser test leaves
# none open when the test database is dropped.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# The suite logs users in with force_login (no second factor): two-factor enforcement is
# off here, and the two-factor tests turn it on with override_settings.
REQUIRE_2FA = False
# django-axes reports every login at INFO: quiet in the test output.
AXES_VERBOSE = False
