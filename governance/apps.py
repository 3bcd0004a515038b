from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Roles, ownership, tiers, PII classification, audit log and scorecard."""

    name = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed

        from governance.services import group_membership_audit

        # Role grants are permission changes: audit them wherever they are made.
        m2m_changed.connect(group_membership_audit, sender=get_user_model().groups.through,
                            dispatch_uid="governance_group_membership_audit")
