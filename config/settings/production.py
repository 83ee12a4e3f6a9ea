"""Production: PostgreSQL + Redis, served by gunicorn behind a TLS proxy.

Required: DJANGO_SECRET_KEY, DATABASE_URL=postgres://…, CELERY_BROKER_URL=redis://…, DJANGO_ALLOWED_HOSTS.
"""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
SESSION_COOKIE_SECURE = os.environ.get("DJANGO_SECURE_COOKIES", "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Compressed, cache-busted static files served by WhiteNoise (run `manage.py collectstatic` on deploy).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False

# Issue 17: `check --deploy` clean. TLS ends at the proxy, which sends X-Forwarded-Proto.
SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
# Subdomains and preload: on by default so `check --deploy` is clean; an intranet whose subdomains are
# not all HTTPS sets DJANGO_HSTS_INCLUDE_SUBDOMAINS=0 / DJANGO_HSTS_PRELOAD=0 (and accepts the warnings).
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("DJANGO_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
SECURE_HSTS_PRELOAD = os.environ.get("DJANGO_HSTS_PRELOAD", "1") == "1"
# The API schema and its docs page are for signed-in users only.
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}
