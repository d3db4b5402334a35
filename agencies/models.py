"""Agencies (单位) named by plans, their aliases, and who works for them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from agencies.names import normalize_name


class AgencyKind(models.TextChoices):
    DEPARTMENT = "department", _("Department")
    COLLECTIVE = "collective", _("Collective unit")


class AgencyQuerySet(models.QuerySet):
    def in_jurisdiction(self, jurisdiction: str) -> AgencyQuerySet:
        return self.filter(jurisdiction=jurisdiction)

    def collectives_without_members(self) -> AgencyQuerySet:
        """Collective units (各县（区）…) whose member agencies nobody has given yet: their tasks
        reach no one until the office completes them."""
        return self.filter(kind=AgencyKind.COLLECTIVE, members__isnull=True)

    def visible_to(self, user) -> AgencyQuerySet:
        """The office and leaders see every agency; staff see the agencies they work for."""
        from accounts.roles import sees_everything

        if not user.is_authenticated:
            return self.none()
        if sees_everything(user):
            return self
        return self.filter(pk__in=Membership.objects.filter(user=user).values("agency"))


class AgencyManager(models.Manager.from_queryset(AgencyQuerySet)):
    def get_by_natural_key(self, jurisdiction: str, name: str) -> Agency:
        return self.get(jurisdiction=jurisdiction, name=name)


class Agency(models.Model):
    jurisdiction = models.CharField(_("jurisdiction"), max_length=50, help_text=_("For example 吉林省 or 宿迁市."))
    name = models.CharField(_("name"), max_length=100, help_text=_("As plans print it."))
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=AgencyKind.choices, default=AgencyKind.DEPARTMENT)
    members = models.ManyToManyField(
        "self",
        verbose_name=_("member agencies"),
        symmetrical=False,
        blank=True,
        related_name="collectives",
        help_text=_("For a collective unit: the agencies it stands for, when known."),
    )
    # Position in the directory (the order plans first name them), so lists read like the plans.
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    contact_emails = models.TextField(_("contact e-mails"), blank=True, help_text=_("One address per line."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(m2m_fields=[members])
    objects = AgencyManager()

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["jurisdiction", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "name"], name="agency_unique_name_per_jurisdiction"),
            models.CheckConstraint(condition=models.Q(kind__in=AgencyKind.values), name="agency_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str, str]:
        return (self.jurisdiction, self.name)

    @property
    def is_collective(self) -> bool:
        return self.kind == AgencyKind.COLLECTIVE

    def email_list(self) -> list[str]:
        return [line.strip() for line in self.contact_emails.splitlines() if line.strip()]

    def clean(self) -> None:
        self.name = normalize_name(self.name)
        errors: dict[str, list[str]] = {}
        for address in self.email_list():
            try:
                validate_email(address)
            except ValidationError:
                errors.setdefault("contact_emails", []).append(
                    _("“%(address)s” is not a valid e-mail address.") % {"address": address}
                )
        clash = AgencyAlias.objects.filter(jurisdiction=self.jurisdiction, name=self.name)
        if self.pk:
            clash = clash.exclude(agency=self)
        if clash.exists():
            errors.setdefault("name", []).append(
                _("“%(name)s” is already an alias of another agency in %(jurisdiction)s.")
                % {"name": self.name, "jurisdiction": self.jurisdiction}
            )
        if errors:
            raise ValidationError(errors)


class AgencyAlias(models.Model):
    """Another name of one agency, e.g. 市人社局 for 市人力资源和社会保障局."""

    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="aliases")
    # Copied from the agency so that the database can enforce one meaning per name.
    jurisdiction = models.CharField(_("jurisdiction"), max_length=50, editable=False)
    name = models.CharField(_("alias"), max_length=200)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agency alias")
        verbose_name_plural = _("agency aliases")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "name"], name="alias_unique_per_jurisdiction"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.jurisdiction = self.agency.jurisdiction
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.name = normalize_name(self.name)
        if self.agency_id is None:
            return
        self.jurisdiction = self.agency.jurisdiction
        if Agency.objects.filter(jurisdiction=self.jurisdiction, name=self.name).exclude(pk=self.agency_id).exists():
            raise ValidationError({"name": _("“%(name)s” is the name of another agency.") % {"name": self.name}})


class MembershipRole(models.TextChoices):
    STAFF = "staff", _("Staff (liaison)")
    HEAD = "head", _("Head")


class Membership(models.Model):
    """A user works for an agency, as its liaison (单位联络员) or its head."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=MembershipRole.choices, default=MembershipRole.STAFF)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency"], name="membership_unique"),
            models.CheckConstraint(condition=models.Q(role__in=MembershipRole.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency} ({self.get_role_display()})"

    def clean(self) -> None:
        """The office supervises the agencies; its people never work for one. Otherwise a clerk (or a
        system administrator) could make themselves an agency's head and approve its reports."""
        from accounts.roles import is_office

        if self.user_id is not None and is_office(self.user):
            raise ValidationError(
                {
                    "user": _(
                        "%(user)s belongs to the supervising office (or is a system administrator) and cannot "
                        "also work for an agency; give the agency its own account."
                    )
                    % {"user": self.user}
                }
            )


def agencies_of(user) -> models.QuerySet:
    """The agencies a user works for, as a subquery."""
    return Agency.objects.filter(memberships__user=user).values("pk")
