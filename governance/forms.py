"""Forms of the governance pages; they parse input, services validate and write."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm

from governance.models import OwnerType, Team
from governance.throttle import client_ip, login_failure_record, login_lockout, login_success_record
from lexicon_core.roles import ROLES
from lexicon_core.tiers import Tier


class TierPolicyForm(forms.Form):
    freshness_sla_hours = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=24 * 366,
        label="Freshness SLA (max age, hours)",
        help_text="Empty: no freshness promise.",
    )
    required_tests = forms.CharField(
        required=False,
        label="Required tests on the primary key",
        help_text="dbt test names, comma-separated, e.g. unique, not_null.",
    )
    description_required = forms.BooleanField(required=False)
    column_docs_target_pct = forms.IntegerField(
        min_value=0, max_value=100, label="Columns documented (%)"
    )
    owner_required = forms.BooleanField(required=False)
    pii_review_required = forms.BooleanField(required=False, label="PII review required")

    def clean_required_tests(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["required_tests"].split(",") if t.strip()]

    @classmethod
    def initial_from(cls, policy) -> dict:
        return {
            "freshness_sla_hours": policy.freshness_sla_hours,
            "required_tests": ", ".join(policy.required_tests),
            "description_required": policy.description_required,
            "column_docs_target_pct": policy.column_docs_target_pct,
            "owner_required": policy.owner_required,
            "pii_review_required": policy.pii_review_required,
        }


def _users():
    return get_user_model().objects.filter(is_active=True).order_by("username")


class AssetOwnersForm(forms.Form):
    owner_type = forms.ChoiceField(choices=OwnerType.choices)
    users = forms.ModelMultipleChoiceField(queryset=_users(), required=False)
    teams = forms.ModelMultipleChoiceField(queryset=Team.objects.all(), required=False)


class AssetTierForm(forms.Form):
    tier = forms.TypedChoiceField(
        choices=[*Tier.choices, (0, "dbt's tier")],
        coerce=int,
        help_text="dbt's tier: drop the tier set here.",
    )
    reason = forms.CharField(required=False, max_length=500)


class TeamForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField(required=False)
    members = forms.ModelMultipleChoiceField(queryset=_users(), required=False)


class UserRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        choices=[(r, r) for r in ROLES], required=False, widget=forms.CheckboxSelectMultiple
    )


class ThrottledLoginMixin:
    """Sign-in refused while the username or address is locked out (governance.throttle),
    failures counted, success clearing the username's count. For Django's login forms.
    ``locked_message`` is the lock-out message when the attempt was refused for that."""

    locked_message = ""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        if username and (lockout := login_lockout(username=username, ip=ip)):
            # Checked before the password: a locked account says nothing about whether it was right.
            self.locked_message = lockout.message
            raise forms.ValidationError(lockout.message, code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username and (lockout := login_failure_record(username=username, ip=ip)):
                self.locked_message = lockout.message
                raise forms.ValidationError(lockout.message, code="locked") from None
            raise
        if username:
            login_success_record(username=username)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “dbt CI”.")
    expires_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=3660,
        label="Expires after (days)",
        help_text="Empty: never expires.",
    )
