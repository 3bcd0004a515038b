from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Roles, ownership, tiers, PII classification, audit log and scorecard."""

    name = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed, post_save, pre_save

        from governance.services import (
            account_flags_audit,
            account_flags_remember,
            group_membership_audit,
        )

        # Role grants are permission changes: audit them wherever they are made.
        m2m_changed.connect(group_membership_audit, sender=get_user_model().groups.through,
                            dispatch_uid="governance_group_membership_audit")
        # So are superuser/staff rights and deactivating an account.
        user_model = get_user_model()
        pre_save.connect(account_flags_remember, sender=user_model, dispatch_uid="governance_account_flags_remember")
        post_save.connect(account_flags_audit, sender=user_model, dispatch_uid="governance_account_flags_audit")
