"""Which agency a name in a file means: matched, new, or near a known one.

Chinese agency names are shortened by dropping characters, not by typos:
市人社局 keeps 市·人·社·局 of 市人力资源和社会保障局, in order. So a name whose
characters all appear, in order, in a known name (same first character) is
suggested first; otherwise the closest name by difflib's ratio, when close.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from agencies.models import Agency, AgencyAlias
from agencies.names import normalize_name

MATCHED, NEAR, NEW = "matched", "near", "new"
# Below this ratio two names are not shown as a suggestion.
SIMILARITY_FLOOR = 0.6


@dataclass
class NameMatch:
    name: str
    status: str  # matched | near | new
    agency: Agency | None = None  # the agency matched, or the one suggested


def is_abbreviation(short: str, long: str) -> bool:
    """Every character of `short`, in order, in `long`; same first and last character."""
    if len(short) >= len(long) or short[:1] != long[:1] or short[-1:] != long[-1:]:
        return False
    remaining = iter(long)
    return all(ch in remaining for ch in short)


def match_names(names: list[str], jurisdiction: str) -> list[NameMatch]:
    agencies = list(Agency.objects.filter(jurisdiction=jurisdiction))
    by_pk = {agency.pk: agency for agency in agencies}
    known: dict[str, Agency] = {}
    for agency in agencies:
        known[agency.name] = agency
        if agency.full_name:
            known.setdefault(normalize_name(agency.full_name), agency)
    for alias in AgencyAlias.objects.filter(jurisdiction=jurisdiction):
        known.setdefault(alias.name, by_pk[alias.agency_id])
    return [_match(normalize_name(name), known) for name in names]


def _match(name: str, known: dict[str, Agency]) -> NameMatch:
    if name in known:
        return NameMatch(name, MATCHED, known[name])
    abbreviated = [agency for text, agency in known.items() if is_abbreviation(name, text)]
    if abbreviated:
        # The shortest expansion is the likeliest (市人社局 → 市人力资源和社会保障局, not a longer cousin).
        best = min(abbreviated, key=lambda agency: len(agency.name))
        return NameMatch(name, NEAR, best)
    scored = [(difflib.SequenceMatcher(None, name, text).ratio(), agency) for text, agency in known.items()]
    if scored:
        ratio, best = max(scored, key=lambda pair: pair[0])
        if ratio >= SIMILARITY_FLOOR:
            return NameMatch(name, NEAR, best)
    return NameMatch(name, NEW)
