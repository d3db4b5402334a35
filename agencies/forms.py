from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, AgencyKind, MembershipRole


class AccountForm(forms.Form):
    """One liaison's or head's account for an agency; checked again, with the sheet's rules, by
    agencies.accounts.create_accounts."""

    name = forms.CharField(label=_("Name"), max_length=150)
    mobile = forms.CharField(
        label=_("Mobile"), max_length=20, required=False, help_text=_("11 digits; it becomes the username.")
    )
    email = forms.EmailField(
        label=_("E-mail"), required=False, help_text=_("For notices and for resetting a forgotten password.")
    )
    role = forms.ChoiceField(label=_("Role"), choices=MembershipRole.choices, initial=MembershipRole.STAFF)
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        required=False,
        help_text=_("Leave blank: the mobile number, or one made from the agency's number."),
    )


class MembersForm(forms.Form):
    """The agencies a collective unit stands for (各县（区） → the county governments)."""

    members = forms.ModelMultipleChoiceField(
        label=_("Member agencies"),
        queryset=Agency.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, collective: Agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = (
            Agency.objects.exclude(pk=collective.pk)
            .exclude(kind=AgencyKind.COLLECTIVE)
            .order_by(*Agency._meta.ordering)
        )
        # "沭阳县 · 沭阳县人民政府": members often sit in a lower jurisdiction than the collective.
        self.fields["members"].label_from_instance = lambda agency: f"{agency.jurisdiction} · {agency.name}"
