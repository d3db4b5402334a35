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


def known_names(jurisdiction: str | None = None) -> dict[str, dict[str, Agency]]:
    """Per jurisdiction (only `jurisdiction`'s, when given), every name that means one of its agencies
    for certain: its name, its full name, its aliases. What a file's name is matched against."""
    agencies = Agency.objects.all()
    aliases = AgencyAlias.objects.all()
    if jurisdiction is not None:
        agencies, aliases = agencies.filter(jurisdiction=jurisdiction), aliases.filter(jurisdiction=jurisdiction)
    by_pk: dict[int, Agency] = {}
    known: dict[str, dict[str, Agency]] = {}
    for agency in agencies:
        by_pk[agency.pk] = agency
        names = known.setdefault(agency.jurisdiction, {})
        names[agency.name] = agency
        if agency.full_name:
            names.setdefault(normalize_name(agency.full_name), agency)
    for alias in aliases:
        known.setdefault(alias.jurisdiction, {}).setdefault(alias.name, by_pk[alias.agency_id])
    return known


def match_names(names: list[str], jurisdiction: str) -> list[NameMatch]:
    known = known_names(jurisdiction).get(jurisdiction, {})
    return [_match(normalize_name(name), known) for name in names]


def jurisdictions_naming(names: list[str]) -> list[tuple[str, int]]:
    """How many of the distinct `names` each jurisdiction's directory knows exactly (name, full name or
    alias, as match_names matches): (jurisdiction, count), the most first, only those knowing any."""
    wanted = {normalize_name(name) for name in names}
    counts = [(jurisdiction, len(wanted & directory.keys())) for jurisdiction, directory in known_names().items()]
    return sorted(((j, n) for j, n in counts if n), key=lambda pair: (-pair[1], pair[0]))


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
