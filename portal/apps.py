from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        # post_migrate is sent once per app with models (portal has none); each run adds the
        # permissions that exist by then, and the last one sees them all.
        post_migrate.connect(ensure_role_groups, dispatch_uid="portal.ensure_role_groups")
        connect_login_signals()


def connect_login_signals() -> None:
    """The session clocks (portal/middleware.py) and the audit trail of logins (accounts/auth_audit.py)."""
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    from accounts import auth_audit
    from portal.middleware import start_session_clocks

    user_logged_in.connect(start_session_clocks, dispatch_uid="portal.start_session_clocks")
    user_logged_in.connect(auth_audit.on_logged_in, dispatch_uid="portal.audit_login")
    user_login_failed.connect(auth_audit.on_login_failed, dispatch_uid="portal.audit_login_failed")
    user_locked_out.connect(auth_audit.on_locked_out, dispatch_uid="portal.audit_locked_out")
    user_logged_out.connect(auth_audit.on_logged_out, dispatch_uid="portal.audit_logout")


# The office keeps the plans, agencies and reports in the admin; leaders read.
PROJECT_APPS = ("agencies", "tasklist", "audit", "supervision", "importers")


def ensure_role_groups(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    from accounts.roles import LEADER_GROUP, OFFICE_GROUP

    permissions = Permission.objects.filter(content_type__app_label__in=PROJECT_APPS)
    office, _ = Group.objects.get_or_create(name=OFFICE_GROUP)
    office.permissions.add(*permissions)
    leader, _ = Group.objects.get_or_create(name=LEADER_GROUP)
    leader.permissions.add(*permissions.filter(codename__startswith="view_"))
