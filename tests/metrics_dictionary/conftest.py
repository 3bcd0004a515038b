from __future__ import annotations

import pytest

from lexicon_core.roles import GOVERNANCE_REVIEWER, METRIC_OWNER
from tests.conftest import _make_user


@pytest.fixture
def second_owner(db):
    return _make_user("oscar", METRIC_OWNER)


@pytest.fixture
def second_reviewer(db):
    return _make_user("gwen", GOVERNANCE_REVIEWER)


DEFINITION = {
    "description": "Sum of **paid** invoice amounts in USD.",
    "formula": "SUM(amount_usd)",
    "metric_type": "simple",
    "time_grains": ["day", "month"],
    "entity_grain": "account",
    "unit": "USD",
    "caveats": "Excludes refunds.",
    "change_summary": "First definition.",
}


@pytest.fixture
def proposed(analyst, metric_owner):
    """A tier-3 metric owned by the metric owner, proposed by the analyst (v1 draft)."""
    from metrics_dictionary.services.proposals import metric_propose

    return metric_propose(
        name="Net revenue", definition=DEFINITION, actor=analyst, owner_users=[metric_owner]
    )
