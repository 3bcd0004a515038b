import pytest

from catalog.meta import owners_from, parse_tier, pii_from, tier_from


@pytest.mark.parametrize(
    ("value", "tier"),
    [
        (1, 1),
        ("2", 2),
        ("tier_1", 1),
        ("Tier 3", 3),
        ("tier-2", 2),
        ("T1", 1),
        ("gold", 1),
        ("silver", 2),
        ("bronze", 3),
        ("tier_9", None),
        ("platinum-ish", None),
        (None, None),
        (True, None),
        (4, None),
    ],
)
def test_it_reads_tiers_in_every_common_form(value, tier):
    assert parse_tier(value) == tier


def test_meta_tier_wins_over_a_tier_tag():
    assert tier_from({"tier": "tier_2"}, ["tier_1"]) == 2
    assert tier_from({}, ["finance", "tier_1"]) == 1
    assert tier_from({}, ["finance"]) is None


def test_owners_come_from_meta_in_any_shape_and_fall_back_to_the_group():
    assert owners_from({"owner": "a@x.io, b@x.io"}) == ["a@x.io", "b@x.io"]
    assert owners_from({"owner": ["a@x.io", {"email": "b@x.io"}]}) == ["a@x.io", "b@x.io"]
    assert owners_from({"owner": {"name": "Finance team"}}) == ["Finance team"]
    assert owners_from({}, {"name": "Finance", "email": "fin@x.io"}) == ["fin@x.io"]
    assert owners_from({"owner": "A@x.io; a@x.io"}) == ["A@x.io"]


def test_owner_keys_are_configurable(settings):
    settings.LEXICON_META_OWNER_KEYS = ["maintainer"]
    assert owners_from({"owner": "a@x.io", "maintainer": "m@x.io"}) == ["m@x.io"]


@pytest.mark.parametrize(
    ("meta", "tags", "flag"),
    [
        ({"contains_pii": True}, [], "contains_pii=true"),
        ({"pii": "email"}, [], "pii=email"),
        ({"sensitivity": "confidential"}, [], "sensitivity=confidential"),
        ({"contains_pii": False}, [], ""),
        ({"pii": "no"}, [], ""),
        ({"sensitivity": "public"}, [], ""),
        ({}, ["PII"], "tag:PII"),
        ({}, ["finance"], ""),
    ],
)
def test_it_flags_pii_from_meta_and_tags(meta, tags, flag):
    assert pii_from(meta, tags) == flag
