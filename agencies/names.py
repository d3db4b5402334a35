"""Pure helpers for agency names as plans print them."""

from __future__ import annotations

import re

# Full-width and half-width brackets are used interchangeably in typed plans.
_BRACKETS = str.maketrans({"(": "（", ")": "）"})
_SPACES = re.compile(r"\s+")

# Collective units stand for many agencies: 各县（区）, 市各功能区, 各地人民政府,
# 省就业工作领导小组成员单位, 各市（州）人民政府 …
_COLLECTIVE = re.compile(r"^(?:[省市县区]?各)|成员单位$")


def normalize_name(name: str) -> str:
    """The canonical spelling used to compare names: brackets full-width, no spaces."""
    return _SPACES.sub("", name.translate(_BRACKETS))


def looks_collective(name: str) -> bool:
    return bool(_COLLECTIVE.search(normalize_name(name)))
