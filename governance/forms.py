"""Forms of the governance pages; they parse input, services validate and write."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from catalog.permissions import ROLES
from governance.models import OwnerType, Team


class TierPolicyForm(forms.Form):
    freshness_sla_hours = forms.IntegerField(required=False, min_value=1, max_value=24 * 366,
                                             label="Freshness SLA (max age, hours)",
                                             help_text="Empty: no freshness promise.")
    required_tests = forms.CharField(required=False, label="Required tests on the primary key",
                                     help_text="dbt test names, comma-separated, e.g. unique, not_null.")
    description_required = forms.BooleanField(required=False)
    column_docs_target_pct = forms.IntegerField(min_value=0, max_value=100, label="Columns documented (%)")
    owner_required = forms.BooleanField(required=False)
    pii_review_required = forms.BooleanField(required=False, label="PII review required")

    def clean_required_tests(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["required_tests"].split(",") if t.strip()]

    @classmethod
    def initial_from(cls, policy) -> dict:
        return {"freshness_sla_hours": policy.freshness_sla_hours, "required_tests": ", ".join(policy.required_tests),
                "description_required": policy.description_required,
                "column_docs_target_pct": policy.column_docs_target_pct, "owner_required": policy.owner_required,
                "pii_review_required": policy.pii_review_required}


def _users():
    return get_user_model().objects.filter(is_active=True).order_by("username")


class AssetOwnersForm(forms.Form):
    owner_type = forms.ChoiceField(choices=OwnerType.choices)
    users = forms.ModelMultipleChoiceField(queryset=_users(), required=False)
    teams = forms.ModelMultipleChoiceField(queryset=Team.objects.all(), required=False)


class AssetTierForm(forms.Form):
    tier = forms.TypedChoiceField(choices=[(1, "Tier 1"), (2, "Tier 2"), (3, "Tier 3"), (0, "dbt's tier")],
                                  coerce=int, help_text="dbt's tier: drop the tier set here.")
    reason = forms.CharField(required=False, max_length=500)


class TeamForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField(required=False)
    members = forms.ModelMultipleChoiceField(queryset=_users(), required=False)


class UserRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(choices=[(r, r) for r in ROLES], required=False,
                                      widget=forms.CheckboxSelectMultiple)
