from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Roles, ownership, tiers, PII classification, audit log and scorecard."""

    name = "governance"
    verbose_name = "Governance"
