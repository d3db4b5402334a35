"""The user admin, with the one rule that joins accounts to agencies: the office's people (and system
administrators) never work for an agency (agencies.models.Membership.clean says it from the other side)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.roles import OFFICE_GROUP


class PortalUserChangeForm(UserChangeForm):
    def clean(self):
        cleaned = super().clean()
        groups = cleaned.get("groups")
        joins_office = cleaned.get("is_superuser") or (
            groups is not None and any(group.name == OFFICE_GROUP for group in groups)
        )
        if joins_office and self.instance.pk and self.instance.memberships.exists():
            raise ValidationError(
                _(
                    "%(user)s works for an agency and cannot also belong to the supervising office or be a system "
                    "administrator; remove the agency membership first, or give this person a second account."
                )
                % {"user": self.instance}
            )
        return cleaned


admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    form = PortalUserChangeForm
