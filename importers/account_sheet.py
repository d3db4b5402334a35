"""The office's sheet of accounts to create (单位, 姓名, 手机, 邮箱, 角色), read through the
importer's readers (their size, archive and XML checks) and its agency-name matching, into the rows
agencies.accounts.create_accounts checks and creates."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from agencies.accounts import AccountRow
from agencies.names import normalize_name
from importers.agency_match import NEAR, known_names, match_names
from importers.draft import DraftError, Problem
from importers.readers.sniff import read_sheets

# Each column by the words its heading may be: the template's first.
HEADINGS = {
    "agency": ("单位", "单位名称", "所在单位", "部门"),
    "name": ("姓名", "名字"),
    "mobile": ("手机", "手机号", "手机号码", "移动电话", "联系电话", "电话"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail"),
    "role": ("角色", "身份", "类别"),
}
HEADER_SEARCH_ROWS = 10  # a title or a note may stand above the heading row


def _columns(texts: list[str]) -> dict[str, int] | None:
    found = {}
    for index, text in enumerate(texts):
        word = normalize_name(text).lower().rstrip("*＊")
        for key, words in HEADINGS.items():
            if key not in found and word in words:
                found[key] = index
    return found if {"agency", "name"} <= found.keys() else None


class AgencyResolver:
    """A name as the sheet gives it → the agency, by the directory's names, full names and aliases."""

    def __init__(self, jurisdiction: str = ""):
        self.jurisdiction = jurisdiction
        self.known = known_names(jurisdiction or None)

    def resolve(self, text: str):
        """(agency, "") or (None, the problem)."""
        name = normalize_name(text)
        if not name:
            return None, _("the agency (单位) is missing.")
        candidates = {names[name] for names in self.known.values() if name in names}
        if len(candidates) == 1:
            return candidates.pop(), ""
        if candidates:
            places = "、".join(sorted({agency.jurisdiction for agency in candidates}))
            return None, _(
                "“%(name)s” is an agency of several jurisdictions (%(places)s); choose the jurisdiction above "
                "and upload again."
            ) % {"name": text.strip(), "places": places}
        for jurisdiction in sorted(self.known):
            match = match_names([name], jurisdiction)[0]
            if match.status == NEAR:
                return None, _("the agency “%(name)s” is not in the directory; did you mean “%(suggestion)s”?") % {
                    "name": text.strip(),
                    "suggestion": match.agency.name,
                }
        return None, _("the agency “%(name)s” is not in the directory.") % {"name": text.strip()}


def read_account_rows(data: bytes, *, filename: str = "", jurisdiction: str = "") -> list[AccountRow]:
    """Every filled row under the heading row, its agency resolved; DraftError for a file that
    cannot be read or holds no heading row with 单位 and 姓名."""
    sheets = read_sheets(data, filename, max_bytes=settings.IMPORT_MAX_UPLOAD_BYTES)
    resolver = AgencyResolver(jurisdiction)
    for sheet in sheets:
        for position, header in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
            columns = _columns(header.texts())
            if columns is None:
                continue
            rows = []
            for row in sheet.rows[position + 1 :]:
                texts = row.texts()

                def cell(key: str, texts=texts, columns=columns) -> str:
                    index = columns.get(key)
                    return texts[index].strip() if index is not None and index < len(texts) else ""

                if not any(cell(key) for key in HEADINGS):
                    continue
                agency, problem = resolver.resolve(cell("agency"))
                rows.append(
                    AccountRow(
                        agency=agency,
                        agency_problem=problem,
                        agency_text=cell("agency"),
                        name=cell("name"),
                        mobile=cell("mobile"),
                        email=cell("email"),
                        role_text=cell("role"),
                        line=row.line,
                    )
                )
            return rows
    message = _("No row of the file has the headings 单位 and 姓名 (and 手机, 邮箱, 角色); use the template.")
    raise DraftError([Problem(None, message)])
