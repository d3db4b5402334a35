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


# The office keeps the plans, agencies and reports in the admin; leaders read.
PROJECT_APPS = ("agencies", "tasklist", "supervision", "importers")


def ensure_role_groups(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    from portal.roles import LEADER_GROUP, OFFICE_GROUP

    permissions = Permission.objects.filter(content_type__app_label__in=PROJECT_APPS)
    office, _ = Group.objects.get_or_create(name=OFFICE_GROUP)
    office.permissions.add(*permissions)
    leader, _ = Group.objects.get_or_create(name=LEADER_GROUP)
    leader.permissions.add(*permissions.filter(codename__startswith="view_"))
