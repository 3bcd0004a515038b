from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Roles, ownership, tiers, PII classification, audit log and scorecard."""

    name = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.db.models.signals import (
            m2m_changed,
            post_delete,
            post_save,
            pre_delete,
            pre_save,
        )

        from governance import auth_cache, permissions  # noqa: F401 - permissions registers rules
        from governance.services import (
            account_flags_audit,
            account_flags_remember,
            group_membership_audit,
        )

        # Cached users (governance.auth_cache) are dropped whenever they, their groups or a
        # group of theirs change.
        user_model = get_user_model()
        post_save.connect(
            auth_cache.user_changed, sender=user_model, dispatch_uid="governance_auth_cache_user"
        )
        post_delete.connect(
            auth_cache.user_changed,
            sender=user_model,
            dispatch_uid="governance_auth_cache_user_del",
        )
        m2m_changed.connect(
            auth_cache.memberships_changed,
            sender=user_model.groups.through,
            dispatch_uid="governance_auth_cache_groups",
        )
        post_save.connect(
            auth_cache.group_changed, sender=Group, dispatch_uid="governance_auth_cache_group"
        )
        pre_delete.connect(
            auth_cache.group_changed, sender=Group, dispatch_uid="governance_auth_cache_group_del"
        )

        self._register_extensions()

        # Role grants are permission changes: audit them wherever they are made.
        m2m_changed.connect(
            group_membership_audit,
            sender=get_user_model().groups.through,
            dispatch_uid="governance_group_membership_audit",
        )
        # So are superuser/staff rights and deactivating an account.
        pre_save.connect(
            account_flags_remember,
            sender=user_model,
            dispatch_uid="governance_account_flags_remember",
        )
        post_save.connect(
            account_flags_audit, sender=user_model, dispatch_uid="governance_account_flags_audit"
        )

    @staticmethod
    def _register_extensions() -> None:
        from governance.pii.sync import pii_after_ingest
        from governance.policies import freshness_sla_hours
        from governance.selectors import tier_search_signals
        from lexicon_core.extensions import (
            Panel,
            provide,
            register_ingest_hook,
            register_panel,
            register_search_signals,
        )

        register_ingest_hook("governance.pii_suggestions", pii_after_ingest, order=30)
        provide("freshness_sla", freshness_sla_hours)
        register_search_signals("governance.tiers", tier_search_signals, order=10)
        for panel in (
            Panel(
                "asset",
                "tab",
                "history",
                70,
                label="History",
                url_name="governance:asset_history_panel",
            ),
            Panel("asset", "owners", "owners", 10, url_name="governance:asset_owners"),
            Panel("asset", "header", "policy", 10, url_name="governance:asset_policy_panel"),
            Panel(
                "asset", "description", "description", 10, url_name="governance:asset_description"
            ),
            Panel("asset", "columns", "pii", 10, url_name="governance:asset_columns_pii"),
            Panel(
                "browse",
                "links",
                "my_assets",
                10,
                label="My assets",
                description="owned by you or your teams",
                url_name="governance:my_assets",
            ),
        ):
            register_panel(panel)
