"""Governance's permission rules (owners, tiers, PII, policies, teams, audit, scorecard),
registered with the one gate in ``lexicon_core.permissions``."""

from __future__ import annotations

from lexicon_core.permissions import rule
from lexicon_core.roles import ADMIN, GOVERNANCE_REVIEWER, has_role


@rule("asset.set_owners", "Setting owners of an asset")
def _asset_set_owners(user, obj) -> bool:
    return has_role(user, GOVERNANCE_REVIEWER, ADMIN)


@rule("asset.set_tier", "Setting the tier of an asset")
def _asset_set_tier(user, obj) -> bool:
    return has_role(user, GOVERNANCE_REVIEWER, ADMIN)


@rule("column.classify", "Classifying columns (PII)")
def _column_classify(user, obj) -> bool:
    return has_role(user, GOVERNANCE_REVIEWER, ADMIN)


@rule("users.manage", "Managing users and roles")
def _users_manage(user, obj) -> bool:
    return has_role(user, ADMIN)


@rule("policy.edit", "Editing tier policies")
def _policy_edit(user, obj) -> bool:
    return has_role(user, GOVERNANCE_REVIEWER, ADMIN)


@rule("team.manage", "Creating teams and changing their members")
def _team_manage(user, obj) -> bool:
    return has_role(user, GOVERNANCE_REVIEWER, ADMIN)


@rule("asset.describe", "Writing the description of an asset")
def _asset_describe(user, obj) -> bool:
    return has_role(user, GOVERNANCE_REVIEWER, ADMIN)


@rule("audit.view", "Reading the audit log")
def _audit_view(user, obj) -> bool:
    return has_role(user, GOVERNANCE_REVIEWER, ADMIN)


@rule("scorecard.view", "Reading the governance scorecard")
def _scorecard_view(user, obj) -> bool:
    return (
        True  # every role may see how governed the catalog is; ``check`` refused users without one
    )
