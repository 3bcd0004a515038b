"""Concurrent decisions on one version: exactly one wins (PostgreSQL row locks)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from governance.models import AuditEvent
from lexicon_core.roles import GOVERNANCE_REVIEWER
from metrics_dictionary.errors import Conflict
from metrics_dictionary.models import MetricVersion, Review, VersionState
from metrics_dictionary.services.proposals import metric_propose
from metrics_dictionary.services.reviews import (
    metric_version_approve,
    metric_version_reject,
    metric_version_submit,
)
from tests.conftest import _make_user
from tests.services import require_postgres


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_approve_and_reject_requests_record_exactly_one_decision(analyst):
    require_postgres()
    version = metric_propose(
        name="Net revenue", actor=analyst, definition={"formula": "SUM(amount_usd)"}
    )
    metric_version_submit(version=version, actor=analyst)
    reviewers = [_make_user(f"reviewer{i}", GOVERNANCE_REVIEWER) for i in range(20)]
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            fn = metric_version_approve if i % 2 == 0 else metric_version_reject
            fn(
                version=MetricVersion.objects.get(pk=version.pk),
                actor=reviewers[i],
                comment=f"#{i}",
            )
            result = "won"
        except Conflict as exc:
            result = f"conflict: {exc.message}"
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            result = f"error: {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == 20
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes.count("won") == 1, outcomes
    assert all("not in review" in o for o in outcomes if o != "won")
    version.refresh_from_db()
    reviews = list(Review.objects.filter(version=version))
    assert len(reviews) == 1
    decision = reviews[0].decision
    assert version.state == (
        VersionState.APPROVED if decision == "approve" else VersionState.REJECTED
    )
    actions = list(
        AuditEvent.objects.filter(
            object_type="metrics_dictionary.metricversion", object_id=str(version.pk)
        ).values_list("action", flat=True)
    )
    decisions = [a for a in actions if a in ("metric_version.approve", "metric_version.reject")]
    assert len(decisions) == 1
    assert ("metric_version.publish" in actions) == (decision == "approve")
    assert AuditEvent.objects.filter(action=decisions[0], actor=reviews[0].reviewer).count() == 1
