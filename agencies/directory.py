"""The agency directory: canonical names, full names and aliases per jurisdiction.

A directory file (fixtures/agencies/*.json) is what lets 市人社局 and
市人力资源和社会保障局 mean one agency. Loading it is idempotent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.models import Agency, AgencyAlias, AgencyKind
from agencies.names import looks_collective, normalize_name


@dataclass
class DirectoryResult:
    created: int = 0
    updated: int = 0
    aliases_created: int = 0
    members_added: int = 0


def load_directory_file(path: str | Path) -> DirectoryResult:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValidationError(
            _("Cannot read the agency directory “%(path)s”: %(error)s") % {"path": path, "error": error}
        ) from None
    return load_directory(data)


@transaction.atomic
def load_directory(data: dict) -> DirectoryResult:
    jurisdiction = data.get("jurisdiction", "").strip()
    entries = data.get("agencies")
    if not jurisdiction or not isinstance(entries, list):
        raise ValidationError(_("An agency directory needs “jurisdiction” and a list of “agencies”."))
    result = DirectoryResult()
    for position, entry in enumerate(entries, start=1):
        name = normalize_name(entry["name"])
        wanted = {
            "sort_order": position,
            "full_name": entry.get("full_name", ""),
            "kind": entry.get("kind") or (AgencyKind.COLLECTIVE if looks_collective(name) else AgencyKind.DEPARTMENT),
        }
        agency = Agency.objects.filter(jurisdiction=jurisdiction, name=name).first()
        if agency is None:
            agency = Agency(jurisdiction=jurisdiction, name=name, **wanted)
            agency.full_clean()
            agency.save()
            result.created += 1
        elif any(getattr(agency, key) != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(agency, key, value)
            agency.full_clean()
            agency.save()
            result.updated += 1
        result.aliases_created += _add_aliases(agency, entry.get("aliases", []))
    for entry in entries:
        if entry.get("members"):
            collective = Agency.objects.get(jurisdiction=jurisdiction, name=normalize_name(entry["name"]))
            result.members_added += _add_members(collective, entry["members"], result)
    return result


def _add_aliases(agency: Agency, names: list[str]) -> int:
    known = set(agency.aliases.values_list("name", flat=True))
    added = 0
    for alias_name in names:
        alias_name = normalize_name(alias_name)
        if alias_name in known:
            continue
        alias = AgencyAlias(agency=agency, name=alias_name)
        alias.full_clean(exclude=["jurisdiction"])
        alias.save()
        known.add(alias_name)
        added += 1
    return added


def _add_members(collective: Agency, members: list, result: DirectoryResult) -> int:
    """A collective's member agencies (各县（区） → the county governments): a name of this
    directory, or an entry of its own, possibly in a lower jurisdiction (沭阳县), made when missing.
    Members are only added: the office may have completed the list since."""
    resolved = []
    for member in members:
        entry = {"name": member} if isinstance(member, str) else member
        where = (entry.get("jurisdiction") or collective.jurisdiction).strip()
        name = normalize_name(entry["name"])
        agency = Agency.objects.filter(jurisdiction=where, name=name).first()
        if agency is None:
            if isinstance(member, str):
                raise ValidationError(
                    _("The member “%(name)s” of %(collective)s is not in the directory of %(jurisdiction)s.")
                    % {"name": name, "collective": collective.name, "jurisdiction": where}
                )
            agency = Agency(jurisdiction=where, name=name, full_name=entry.get("full_name", ""))
            agency.full_clean()
            agency.save()
            result.created += 1
        result.aliases_created += _add_aliases(agency, entry.get("aliases", []) if isinstance(member, dict) else [])
        resolved.append(agency)
    before = set(collective.members.values_list("pk", flat=True))
    collective.members.add(*resolved)
    return len({a.pk for a in resolved} - before)
