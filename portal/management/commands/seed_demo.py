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

from accounts.roles import LEADER_GROUP, OFFICE_GROUP
from agencies.models import Agency, Membership, MembershipRole
from supervision.actions import set_cycle
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


def demo_cycle(today: dt.date) -> dict:
    """Monthly reports due 5 days after each month, from the start of the month three months back to
    the end of next year: whatever the day of the month, two past months' reports are already overdue,
    so the to-do lists, the overdue list and the first sweep have something to show."""
    start = today.replace(day=1)
    for _month in range(3):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    return {
        "kind": "monthly",
        "due_rule": "days_after_end",
        "due_value": 5,
        "starts_on": start,
        "ends_on": dt.date(today.year + 1, 12, 31),
        "milestones": "",
        "cooperating_must_report": False,
    }


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
        passwords = self.accounts(Path(options["credentials"]))
        self.cycles(get_user_model().objects.get(username="office"))
        self.stdout.write("\n演示账号 / Demo accounts (http://127.0.0.1:8000/):")
        for username, display, *_ in ACCOUNTS:
            self.stdout.write(f"  {username:<12} {passwords[username]:<20} {display}")

    def cycles(self, office) -> None:
        """A reporting cycle for each plan that has none, set the way the office sets one."""
        for plan in Plan.objects.filter(cycle__isnull=True):
            _cycle, counts = set_cycle(plan, office, demo_cycle(timezone.localdate()))
            self.stdout.write(f"{plan.doc_number}: {counts['added']} reporting periods")

    @transaction.atomic
    def accounts(self, path: Path) -> dict[str, str]:
        passwords = json.loads(path.read_text()) if path.exists() else {}
        User = get_user_model()
        for username, display, groups, superuser, membership in ACCOUNTS:
            password = passwords.setdefault(username, secrets.token_urlsafe(9))
            user, _ = User.objects.get_or_create(username=username)
            user.first_name = display
            user.email = f"{username}@demo.invalid"  # .invalid: never a real mailbox
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
