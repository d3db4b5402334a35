"""First-run data: both seed plans, the agency directory and one demo account per role.

Passwords are generated on the first run, kept in var/demo-accounts.json (never
in settings, never in git) and printed every run. Refuses to run without DEBUG,
so a production database never gets demo accounts.
"""

import datetime as dt
import json
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, Membership, MembershipRole
from portal.roles import LEADER_GROUP, OFFICE_GROUP
from supervision.models import ReportingPeriod
from tasklist.models import Plan

SEEDS = Path(settings.BASE_DIR) / "fixtures"
DIRECTORIES = sorted((SEEDS / "agencies").glob("*.json"))
PLANS = sorted((SEEDS / "seeds").glob("*.txt"))

# username, display name, groups, superuser, (jurisdiction, agency, membership role)
ACCOUNTS = [
    ("admin", "系统管理员", [], True, None),
    ("office", "督查室 王科长", [OFFICE_GROUP], False, None),
    ("leader", "市领导 李主任", [LEADER_GROUP], False, None),
    ("sq_rsj", "市人社局 联络员", [], False, ("宿迁市", "市人力资源和社会保障局", MembershipRole.STAFF)),
    ("sq_rsj_head", "市人社局 负责人", [], False, ("宿迁市", "市人力资源和社会保障局", MembershipRole.HEAD)),
    ("sq_jyj", "市教育局 联络员", [], False, ("宿迁市", "市教育局", MembershipRole.STAFF)),
    ("sq_daj", "市档案局 联络员", [], False, ("宿迁市", "市档案局", MembershipRole.STAFF)),
    ("jl_rst", "省人社厅 联络员", [], False, ("吉林省", "省人社厅", MembershipRole.STAFF)),
]


def month_start(day: dt.date, months_back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def demo_periods(today: dt.date) -> list[tuple[str, dt.date, dt.date, dt.date]]:
    """Last month and this month, each due on the 5th of the month after (按月报送)."""
    periods = []
    for back in (1, 0):
        start = month_start(today, back)
        following = month_start(start + dt.timedelta(days=32))
        periods.append(
            (f"{start.year}年{start.month}月", start, following - dt.timedelta(days=1), following.replace(day=5))
        )
    return periods


class Command(BaseCommand):
    help = "Load the agency directory, both seed plans and demo accounts; print the accounts."

    def add_arguments(self, parser):
        parser.add_argument("--credentials", default=str(Path(settings.VAR_DIR) / "demo-accounts.json"))

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo creates demo accounts and runs only with DEBUG=1.")
        call_command("load_agencies", *map(str, DIRECTORIES), stdout=self.stdout)
        for plan in PLANS:
            call_command("import_tasklist", str(plan), stdout=self.stdout)
        self.periods()
        passwords = self.accounts(Path(options["credentials"]))
        self.stdout.write("\n演示账号 / Demo accounts (http://127.0.0.1:8000/):")
        for username, display, *_ in ACCOUNTS:
            self.stdout.write(f"  {username:<12} {passwords[username]:<20} {display}")

    @transaction.atomic
    def periods(self) -> None:
        """Monthly reporting periods around today, so the workspace has something due (issue 5 adds cycles)."""
        for plan in Plan.objects.all():
            for label, starts_on, ends_on, due_on in demo_periods(timezone.localdate()):
                ReportingPeriod.objects.get_or_create(
                    plan=plan, starts_on=starts_on, defaults={"label": label, "ends_on": ends_on, "due_on": due_on}
                )

    @transaction.atomic
    def accounts(self, path: Path) -> dict[str, str]:
        passwords = json.loads(path.read_text()) if path.exists() else {}
        User = get_user_model()
        for username, display, groups, superuser, membership in ACCOUNTS:
            password = passwords.setdefault(username, secrets.token_urlsafe(9))
            user, _ = User.objects.get_or_create(username=username)
            user.first_name = display
            user.is_superuser = user.is_staff = superuser
            if groups == [OFFICE_GROUP]:
                user.is_staff = True  # the office works in the admin too
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
            if membership:
                jurisdiction, agency_name, role = membership
                agency = Agency.objects.get(jurisdiction=jurisdiction, name=agency_name)
                Membership.objects.update_or_create(user=user, agency=agency, defaults={"role": role})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(passwords, indent=1))
        return passwords
