"""The agencies' accounts, as the supervising office manages them: liaisons (联络员) and heads
(负责人) created one by one or from a sheet, disabled and enabled again, their passwords reset.

Every account gets a generated first password (accounts/first_password.py) that it must change at
its first login. The password is returned here once, in an :class:`Issued`, for the handout page
and its .xlsx (agencies/views.py, ``handout_response``); it is stored nowhere. Every change is
audited (accounts/auth_audit.py), never with a password in it. An account is never deleted (reports
name their authors): disabling sets ``is_active`` off, which refuses its logins and ends its sessions.

A batch (the sheet) is all or nothing: every row is checked first, each bad row gets its "第N行：…"
message, and only when none is bad are the accounts created, in one transaction.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import auth_audit
from accounts.first_password import issue_password
from accounts.models import AccountProfile
from accounts.roles import OFFICE_GROUP, sees_everything
from agencies.models import Agency, Membership, MembershipRole
from agencies.names import normalize_name

# A mainland mobile number: 11 digits starting 13–19. It is also the account's username.
MOBILE = re.compile(r"^1[3-9]\d{9}$")
NAME_MAX = 150  # User.first_name


def role_words() -> dict[str, str]:
    """What the sheet's 角色 column may say (blank means liaison)."""
    return {
        "联络员": MembershipRole.STAFF,
        "单位联络员": MembershipRole.STAFF,
        "负责人": MembershipRole.HEAD,
        "单位负责人": MembershipRole.HEAD,
        "staff": MembershipRole.STAFF,
        "liaison": MembershipRole.STAFF,
        "head": MembershipRole.HEAD,
        str(MembershipRole.STAFF.label).lower(): MembershipRole.STAFF,
        str(MembershipRole.HEAD.label).lower(): MembershipRole.HEAD,
    }


def parse_role(text: str) -> str | None:
    text = normalize_name(text or "")
    if not text:
        return MembershipRole.STAFF
    return role_words().get(text.lower()) or role_words().get(text)


def normalize_mobile(text: str) -> str:
    """Spaces, dashes and a +86 / 86 prefix dropped: what clerks type around the 11 digits."""
    digits = re.sub(r"[\s\-\u3000]", "", text or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


@dataclass
class AccountRow:
    """One account to create, as the form or a row of the sheet gives it. ``agency_problem`` is
    what the sheet's reader said about a name it could not resolve to an agency."""

    agency: Agency | None
    name: str
    mobile: str = ""
    email: str = ""
    role_text: str = ""
    username: str = ""  # blank: generated (the mobile number, else a12-03: agency 12, third account)
    line: int | None = None  # the sheet's row number; None for the one-account form
    agency_problem: str = ""
    agency_text: str = ""


@dataclass
class Issued:
    """A password handed over, for the handout: shown once, never stored."""

    user: object
    agency: Agency
    role: str
    password: str

    @property
    def role_label(self) -> str:
        return str(MembershipRole(self.role).label)


class AccountRowsError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class _Checked:
    row: AccountRow
    role: str
    mobile: str
    username: str
    problems: list[str] = field(default_factory=list)


def _where(row: AccountRow, message: str) -> str:
    if row.line is None:
        return message
    return _("Row %(row)s: %(message)s") % {"row": row.line, "message": message}


def _taken_usernames(candidates: set[str]) -> set[str]:
    User = get_user_model()
    found = User.objects.filter(**{f"{User.USERNAME_FIELD}__in": candidates}).values_list(
        User.USERNAME_FIELD, flat=True
    )
    return {name.lower() for name in found}


def _sequence_username(agency: Agency, taken: set[str]) -> str:
    """a<agency id>-<two digits>: the first free one, among the database's and this batch's."""
    User = get_user_model()
    prefix = f"a{agency.pk}-"
    existing = {
        name.lower()
        for name in User.objects.filter(**{f"{User.USERNAME_FIELD}__istartswith": prefix}).values_list(
            User.USERNAME_FIELD, flat=True
        )
    }
    number = 1
    while f"{prefix}{number:02d}" in existing | taken:
        number += 1
    return f"{prefix}{number:02d}"


def check_rows(rows: list[AccountRow]) -> list[_Checked]:
    """Every row checked against the others and the database; each problem as the clerk reads it."""
    User = get_user_model()
    checked = []
    mobiles_seen: dict[str, AccountRow] = {}
    usernames_seen: dict[str, AccountRow] = {}
    mobiles = {normalize_mobile(row.mobile) for row in rows if row.mobile}
    mobiles_taken = set(AccountProfile.objects.filter(mobile__in=mobiles).values_list("mobile", flat=True))
    wanted = {row.username.strip() for row in rows if row.username.strip()} | mobiles
    usernames_taken = _taken_usernames(wanted)
    for row in rows:
        problems = []
        name = row.name.strip()
        if row.agency is None:
            problems.append(row.agency_problem or _("the agency is missing."))
        if not name:
            problems.append(_("the name (姓名) is missing."))
        elif len(name) > NAME_MAX:
            problems.append(_("the name is longer than %(max)s characters.") % {"max": NAME_MAX})
        mobile = normalize_mobile(row.mobile)
        if mobile and not MOBILE.match(mobile):
            problems.append(_("“%(mobile)s” is not an 11-digit mobile number.") % {"mobile": row.mobile.strip()})
        elif mobile:
            if mobile in mobiles_seen:
                problems.append(
                    _("the mobile number %(mobile)s is also on row %(other)s.")
                    % {"mobile": mobile, "other": mobiles_seen[mobile].line}
                )
            elif mobile in mobiles_taken or mobile.lower() in usernames_taken:
                problems.append(_("an account with the mobile number %(mobile)s already exists.") % {"mobile": mobile})
            mobiles_seen.setdefault(mobile, row)
        email = row.email.strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(_("“%(email)s” is not a valid e-mail address.") % {"email": email})
        role = parse_role(row.role_text)
        if role is None:
            problems.append(
                _("the role “%(role)s” is neither 联络员 (liaison) nor 负责人 (head).")
                % {"role": row.role_text.strip()}
            )
        username = row.username.strip()
        if username:
            try:
                User.username_validator(username)
            except ValidationError:
                problems.append(
                    _("the username “%(username)s” may hold only letters, digits and @ . + - _.")
                    % {"username": username}
                )
            if username.lower() in usernames_taken:
                problems.append(_("the username %(username)s is already taken.") % {"username": username})
            elif username.lower() in usernames_seen:
                problems.append(_("the username %(username)s is also on another row.") % {"username": username})
            usernames_seen.setdefault(username.lower(), row)
        elif mobile:
            username = mobile
        checked.append(_Checked(row, role or "", mobile, username, [_where(row, p) for p in problems]))
    return checked


def create_accounts(rows: list[AccountRow], *, actor, request, source: str) -> list[Issued]:
    """Create every account of ``rows`` or none: AccountRowsError lists each bad row's problems."""
    checked = check_rows(rows)
    problems = [problem for entry in checked for problem in entry.problems]
    if not rows:
        problems.append(_("There is no account to create."))
    if problems:
        raise AccountRowsError(problems)
    User = get_user_model()
    issued = []
    try:
        with transaction.atomic():
            taken: set[str] = set()
            for entry in checked:
                row = entry.row
                username = entry.username or _sequence_username(row.agency, taken)
                taken.add(username.lower())
                user = User(username=username, first_name=row.name.strip(), email=row.email.strip())
                user.set_unusable_password()
                user.full_clean(exclude=["password"])
                user.save()
                AccountProfile.objects.create(user=user, mobile=entry.mobile)
                membership = Membership(user=user, agency=row.agency, role=entry.role)
                membership.full_clean()
                membership.save()
                password = issue_password(user)
                auth_audit.record(
                    auth_audit.ACCOUNT_CREATE,
                    request,
                    actor=actor,
                    account=user,
                    agency=row.agency.name,
                    jurisdiction=row.agency.jurisdiction,
                    role=entry.role,
                    source=source,
                    **({"line": row.line} if row.line is not None else {}),
                )
                issued.append(Issued(user, row.agency, entry.role, password))
    except (IntegrityError, ValidationError):
        # Someone created one of these accounts (or mobile numbers) meanwhile: nothing was kept.
        raise AccountRowsError(
            [_("Another account with one of these usernames or mobile numbers was just created; check and try again.")]
        ) from None
    return issued


# ---------------------------------------------------------------------------
# One account: disable, enable, reset
# ---------------------------------------------------------------------------


def managed_users() -> QuerySet:
    """The accounts the office manages here: people who work for an agency, never the office's own
    people or a system administrator."""
    return (
        get_user_model()
        .objects.filter(memberships__isnull=False, is_superuser=False)
        .exclude(groups__name=OFFICE_GROUP)
        .distinct()
    )


def set_active(user, active: bool, *, actor, request) -> bool:
    """Disable (or enable again) ``user``; False when it already was. Audited."""
    if user.is_active == active:
        return False
    user.is_active = active
    user.save(update_fields=["is_active"])
    action = auth_audit.ACCOUNT_ENABLE if active else auth_audit.ACCOUNT_DISABLE
    auth_audit.record(action, request, actor=actor, account=user)
    return True


def reset_password(user, *, actor, request) -> list[Issued]:
    """A new generated password, to be changed at the next login; every session of the user ends."""
    with transaction.atomic():
        password = issue_password(user)
        auth_audit.record(auth_audit.ACCOUNT_PASSWORD_RESET, request, actor=actor, account=user, via="office")
    membership = user.memberships.select_related("agency").order_by("pk").first()
    return [Issued(user, membership.agency, membership.role, password)]


# ---------------------------------------------------------------------------
# The contact list (通讯录)
# ---------------------------------------------------------------------------


def contacts_visible_to(user, query: str = "") -> QuerySet:
    """Every agency's liaisons and heads for the office and leaders; staff their own agency's."""
    memberships = Membership.objects.select_related("user", "user__account_profile", "agency")
    if not user.is_authenticated:
        return memberships.none()
    if not sees_everything(user):
        memberships = memberships.filter(agency__in=Membership.objects.filter(user=user).values("agency"))
    query = normalize_name(query or "")
    if query:
        memberships = memberships.filter(
            Q(agency__name__icontains=query)
            | Q(agency__full_name__icontains=query)
            | Q(agency__aliases__name__icontains=query)
        ).distinct()
    return memberships.order_by("agency__jurisdiction", "agency__sort_order", "agency__name", "role", "user__username")


def mobile_of(user) -> str:
    try:
        return user.account_profile.mobile
    except AccountProfile.DoesNotExist:
        return ""


# ---------------------------------------------------------------------------
# .xlsx lists: the password handout and the contact list
# ---------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook(title: str, header: list[str], rows: list[list]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(["" if value is None else value for value in row])
    for index, name in enumerate(header, start=1):
        width = max([len(str(name))] + [len(str(row[index - 1] or "")) for row in rows]) * 2 + 2
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(width, 60)
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


SHEET_COLUMNS = ("单位", "姓名", "手机", "邮箱", "角色")


def sheet_template_xlsx() -> bytes:
    """The blank sheet the office fills in for the bulk upload, with one example row."""
    return _workbook(_("Accounts"), list(SHEET_COLUMNS), [["市教育局", "张三", "13800000000", "", "联络员"]])


def handout_xlsx(issued: list[Issued]) -> bytes:
    header = [_("Agency"), _("Name"), _("Role"), _("Username"), _("First password")]
    rows = [[i.agency.name, i.user.first_name, i.role_label, i.user.get_username(), i.password] for i in issued]
    return _workbook(_("First passwords"), header, rows)


def contacts_xlsx(memberships) -> bytes:
    header = [
        _("Jurisdiction"),
        _("Agency"),
        _("Role"),
        _("Name"),
        _("Mobile"),
        _("E-mail"),
        _("Username"),
        _("Active"),
        _("Last login"),
    ]
    rows = []
    for m in memberships:
        last = timezone.localtime(m.user.last_login).strftime("%Y-%m-%d %H:%M") if m.user.last_login else ""
        rows.append(
            [
                m.agency.jurisdiction,
                m.agency.name,
                m.get_role_display(),
                m.user.get_full_name(),
                mobile_of(m.user),
                m.user.email,
                m.user.get_username(),
                _("yes") if m.user.is_active else _("no (disabled)"),
                last,
            ]
        )
    return _workbook(_("Contacts"), header, rows)


def handout_response(request, issued: list[Issued], *, title: str):
    """The page that hands the passwords over: printable, with the same list as an .xlsx to save.
    It is the answer to the POST that made them, not a page to come back to; the .xlsx rides in the
    page as a data: link, so the passwords are kept on no server, in no session, in no log."""
    data = base64.b64encode(handout_xlsx(issued)).decode("ascii")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = render(
        request,
        "agencies/handout.html",
        {
            "issued": issued,
            "title": title,
            "xlsx_href": f"data:{XLSX};base64,{data}",
            "xlsx_name": _("first-passwords-%(stamp)s.xlsx") % {"stamp": stamp},
        },
    )
    response["Cache-Control"] = "no-store"  # never kept in the browser's cache nor by a proxy
    return response
