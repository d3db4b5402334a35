"""Every user-facing string has a zh-hans translation.

The catalogue is extracted afresh from a copy of the source (so the repository's
.po is not touched) and every entry must be translated and not fuzzy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import polib
import pytest
from django.utils import translation

from tests.conftest import ROOT, requires

CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_catalogue_has_every_string_translated(tmp_path):
    requires(shutil.which("xgettext") is not None, "makemessages needs GNU gettext (apt-get install gettext)")
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".venv", "var", ".git", "__pycache__", "*.mo", "test-artifacts", "tests"),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--ignore", "var", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test", "PORTAL_VAR_DIR": str(tmp_path / "var")},
    )
    extracted = polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    untranslated = [entry.msgid for entry in extracted if not entry.translated() and not entry.obsolete]
    assert untranslated == [], f"add these to {CATALOGUE.relative_to(ROOT)}"
    assert len(extracted) > 100


def test_committed_catalogue_is_complete():
    catalogue = polib.pofile(str(CATALOGUE))
    assert catalogue.percent_translated() == 100
    assert not catalogue.fuzzy_entries()


@pytest.mark.parametrize(
    ("english", "chinese"),
    [("Lead", "牵头"), ("Cooperating", "配合"), ("Responsible", "责任"), ("lead unit", "牵头单位"), ("plans", "方案")],
)
def test_role_badges_and_labels_translate(english, chinese):
    with translation.override("zh-hans"):
        assert translation.gettext(english) == chinese
    with translation.override("en"):
        assert translation.gettext(english) == english
