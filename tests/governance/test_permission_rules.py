import pytest

from lexicon_core.permissions import Decision, actions, allowed, check, rule


@pytest.mark.django_db
def test_refusals_say_why(viewer, reviewer, outsider):
    assert not allowed(viewer, "column.classify")
    assert "classifying columns" in check(viewer, "column.classify").reason.lower()
    assert allowed(reviewer, "column.classify")
    assert check(outsider, "catalog.view").reason.startswith("Your account has no role")


def test_unknown_action_is_an_error_not_a_refusal():
    with pytest.raises(LookupError):
        check(object(), "nothing.here")


def test_one_rule_per_action():
    assert "ingest.run" in actions()
    with pytest.raises(ValueError):
        rule("ingest.run", "again")(lambda user, obj: Decision(True))


@pytest.mark.django_db
def test_the_drf_permission_asks_the_write_rule_for_unsafe_methods(viewer, reviewer):
    from types import SimpleNamespace

    from lexicon_core.permissions import Allows

    permission_class = Allows("catalog.view", write="policy.edit")
    for method, user, expected in [
        ("GET", viewer, True),
        ("PUT", viewer, False),
        ("PUT", reviewer, True),
    ]:
        permission = permission_class()
        assert (
            permission.has_permission(SimpleNamespace(method=method, user=user), None) is expected
        )
    refused = permission_class()
    refused.has_permission(SimpleNamespace(method="PUT", user=viewer), None)
    assert "editing tier policies" in refused.message.lower()
