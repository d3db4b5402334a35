"""Settings for the test suite: the development settings with faster hashing.

DATABASE_URL still chooses the database, so the same suite runs on SQLite and
on PostgreSQL.
"""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("PORTAL_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test"))

from portal.settings import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
