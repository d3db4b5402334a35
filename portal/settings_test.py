"""Settings for the test suite: the development settings with faster hashing.

DATABASE_URL still chooses the database, so the same suite runs on SQLite and
on PostgreSQL.
"""

import os
import tempfile

os.environ.setdefault("DEBUG", "1")
# Files the tests write (uploads, mail, the SQLite file of subprocesses) go to a fresh temporary folder.
os.environ.setdefault("PORTAL_VAR_DIR", tempfile.mkdtemp(prefix="portal-test-"))

from portal.settings import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
