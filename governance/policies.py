"""Tier policies and the checks an asset passes or fails against its tier's policy.

Primary key, for the required-tests check (first rule that finds one wins):

1. the model's meta names it: ``meta: {primary_key: account_id}`` (a list for a
   composite key);
2. a column's meta says ``primary_key: true``;
3. the naming convention: a column called ``id`` or ``<entity>_id``, where the entity is
   the model name without its layer prefix (``stg_``, ``int_``, ``dim_``, ``fct_``...),
   singular — ``dim_accounts`` → ``account_id``, ``fct_support_tickets`` →
   ``support_ticket_id`` or ``ticket_id``;
4. otherwise any column that already carries every required test counts as the key
   (a column tested ``unique`` + ``not_null`` is how dbt projects declare one).

dbt ``constraints`` are not stored by ingest yet, so they are not read here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from catalog.models import Asset, AssetKind, Column, DataTest, NodeRunResult, SourceFreshnessResult
from catalog.selectors import freshness_vs_sla
from governance.models import AssetDescription, AssetOwner, TierPolicy
from governance.pii.effective import effective_many
from governance.selectors import NO_TIER, chunked, effective_tiers
from lexicon_core.tiers import TIERS, Tier

# Kinds that are built or loaded, so tests and freshness apply to them.
DATA_KINDS = (AssetKind.MODEL, AssetKind.SNAPSHOT, AssetKind.SEED, AssetKind.SOURCE)
LAYER_PREFIXES = {
    "stg",
    "int",
    "dim",
    "fct",
    "fact",
    "base",
    "mart",
    "rpt",
    "src",
    "raw",
    "obt",
    "agg",
}

CHECK_LABELS = {
    "owner": "Owner assigned",
    "description": "Description written",
    "column_docs": "Columns documented",
    "tests": "Primary key tested",
    "freshness": "Fresh within SLA",
    "pii_review": "PII reviewed",
}


@dataclass(frozen=True)
class Check:
    """One policy check on one asset. ``name`` is a stable key (see ``CHECK_LABELS``)."""

    name: str
    passed: bool
    detail: str

    @property
    def label(self) -> str:
        return CHECK_LABELS.get(self.name, self.name)


def default_policy(tier: int) -> TierPolicy:
    """The policy of a tier nobody has edited yet (unsaved); SLA from the setting."""
    critical = tier in (Tier.TIER_1, Tier.TIER_2)
    return TierPolicy(
        tier=tier,
        freshness_sla_hours=settings.LEXICON_TIER_FRESHNESS_SLA_HOURS.get(tier),
        required_tests=["unique", "not_null"] if critical else [],
        description_required=critical,
        column_docs_target_pct={Tier.TIER_1: 95, Tier.TIER_2: 80}.get(tier, 0),
        owner_required=critical,
        pii_review_required=tier == Tier.TIER_1,
    )


def tier_policies() -> dict[int, TierPolicy]:
    """Every tier's policy: the stored row, else the default."""
    stored = {p.tier: p for p in TierPolicy.objects.select_related("updated_by")}
    return {tier: stored.get(tier) or default_policy(tier) for tier in TIERS}


def tier_policy(tier: int) -> TierPolicy:
    return TierPolicy.objects.filter(tier=tier).first() or default_policy(tier)


def sla_hours_by_tier() -> dict[int, int | None]:
    """Tier -> the freshness SLA of its policy (stored, else the default). One query."""
    return {tier: policy.freshness_sla_hours for tier, policy in tier_policies().items()}


def freshness_sla_hours(assets: list[Asset]) -> dict[int, int | None]:
    """Asset id -> the SLA of its effective tier: the ``freshness_sla`` provider that catalog
    pages ask (registered in ``GovernanceConfig.ready``). Two queries (per 2,000 assets)."""
    tiers = {a.pk: a.dbt_tier for a in assets}  # an unsaved asset: dbt's tier
    tiers.update(
        (pk, tier) for pk, (tier, _origin) in effective_tiers(a.pk for a in assets if a.pk).items()
    )
    by_tier = sla_hours_by_tier()
    return {pk: by_tier.get(tier) if tier else None for pk, tier in tiers.items()}


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("ses") or word.endswith("xes"):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def conventional_key_names(asset_name: str) -> list[str]:
    """``id`` and ``<entity>_id`` names the convention accepts for ``asset_name``."""
    parts = [p for p in asset_name.lower().split("_") if p]
    if parts and parts[0] in LAYER_PREFIXES:
        parts = parts[1:]
    names = ["id"]
    if parts:
        names.append("_".join(parts[:-1] + [_singular(parts[-1])]) + "_id")
        names.append(_singular(parts[-1]) + "_id")
    return list(dict.fromkeys(names))


def primary_key(
    asset: Asset, columns: list[Column], tests_by_column: dict[str, set[str]], required: list[str]
) -> tuple[list[str], str]:
    """(lower-cased key column names, how they were found); ([], "") when none is found."""
    meta_key = (asset.meta or {}).get("primary_key")
    if meta_key:
        names = [meta_key] if isinstance(meta_key, str) else [str(n) for n in meta_key]
        return [n.lower() for n in names], "meta.primary_key"
    flagged = [c.name_key for c in columns if (c.meta or {}).get("primary_key") is True]
    if flagged:
        return flagged, "column meta primary_key"
    names = {c.name_key for c in columns}
    for candidate in conventional_key_names(asset.name):
        if candidate in names:
            return [candidate], "naming convention"
    if required:
        tested = [
            c.name_key for c in columns if set(required) <= tests_by_column.get(c.name_key, set())
        ]
        if tested:
            return tested[:1], f"column tested {' + '.join(required)}"
    return [], ""


def _latest_loads(
    ids: list[int],
) -> tuple[dict[int, SourceFreshnessResult], dict[int, NodeRunResult]]:
    """Per asset, what tells when its data was last loaded: a source's newest freshness
    result with a ``max_loaded_at``, and a node's newest successful run (the rule comparing
    them with the SLA is ``catalog.selectors.freshness_vs_sla``)."""
    fresh: dict[int, SourceFreshnessResult] = {}
    for row in (
        SourceFreshnessResult.objects.filter(asset_id__in=ids, max_loaded_at__isnull=False)
        .order_by("asset_id", "-generated_at", "-id")
        .only("id", "asset_id", "max_loaded_at")
    ):
        fresh.setdefault(row.asset_id, row)
    runs: dict[int, NodeRunResult] = {}
    for row in (
        NodeRunResult.objects.filter(
            asset_id__in=ids, status__in=("success", "pass"), completed_at__isnull=False
        )
        .order_by("asset_id", "-completed_at", "-id")
        .only("id", "asset_id", "status", "completed_at")
    ):
        runs.setdefault(row.asset_id, row)
    return fresh, runs


def pii_reviewed_column_ids(column_ids: Iterable[int]) -> set[int]:
    """Columns whose PII status a person has decided (the effective classification is
    confirmed or rejected, ``governance.pii``); a dbt flag alone is a suggestion."""
    reviewed: set[int] = set()
    for chunk in chunked(column_ids):
        effective = effective_many(Column.objects.filter(pk__in=chunk).only("id", "dbt_pii"))
        reviewed |= {pk for pk, e in effective.items() if e.reviewed}
    return reviewed


def policy_checks_many(assets: Iterable[Asset]) -> dict[int, list[Check]]:
    """Asset id → its policy checks (empty when it has no tier), in a fixed number of queries."""
    assets = list(assets)
    ids = [a.pk for a in assets]
    tiers = effective_tiers(ids)
    policies = tier_policies()
    columns: dict[int, list[Column]] = defaultdict(list)
    for column in Column.objects.filter(asset_id__in=ids, removed_at__isnull=True).order_by(
        "asset_id", "position"
    ):
        columns[column.asset_id].append(column)
    tests: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for asset_id, column_name, test_name in (
        DataTest.objects.filter(asset_id__in=ids, removed_at__isnull=True)
        .exclude(column_name="")
        .values_list("asset_id", "column_name", "test_name")
    ):
        tests[asset_id][column_name.lower()].add((test_name or "").lower())
    owned = set(AssetOwner.objects.filter(asset_id__in=ids).values_list("asset_id", flat=True))
    described_here = set(
        AssetDescription.objects.filter(asset_id__in=ids).values_list("asset_id", flat=True)
    )
    fresh, runs = _latest_loads(ids)
    reviewed = pii_reviewed_column_ids([c.pk for cols in columns.values() for c in cols])

    out: dict[int, list[Check]] = {}
    for asset in assets:
        tier = tiers.get(asset.pk, NO_TIER).tier
        if not tier:
            out[asset.pk] = []
            continue
        policy = policies[tier]
        cols = columns.get(asset.pk, [])
        checks: list[Check] = []
        if policy.owner_required:
            has_owner = asset.pk in owned or bool(asset.dbt_owners)
            checks.append(
                Check(
                    "owner", has_owner, "owned" if has_owner else "no owner in dbt meta or Lexicon"
                )
            )
        if policy.description_required:
            ok = bool(asset.description.strip()) or asset.pk in described_here
            checks.append(
                Check(
                    "description",
                    ok,
                    ("described in Lexicon" if asset.pk in described_here else "described in dbt")
                    if ok
                    else "no description",
                )
            )
        if policy.column_docs_target_pct and cols:
            documented = sum(1 for c in cols if c.description.strip())
            pct = 100 * documented / len(cols)
            checks.append(
                Check(
                    "column_docs",
                    pct >= policy.column_docs_target_pct,
                    f"{documented} of {len(cols)} columns described ({pct:.0f}%, "
                    f"target {policy.column_docs_target_pct}%)",
                )
            )
        required = [t.lower() for t in policy.required_tests]
        if required and asset.kind in DATA_KINDS:
            checks.append(_tests_check(asset, cols, tests.get(asset.pk, {}), required))
        if policy.freshness_sla_hours and asset.kind in DATA_KINDS:
            sla = freshness_vs_sla(
                asset,
                fresh.get(asset.pk),
                runs.get(asset.pk),
                sla_hours=policy.freshness_sla_hours,
            )
            if sla is None:
                checks.append(
                    Check("freshness", False, "no successful run or freshness result recorded")
                )
            else:
                checks.append(
                    Check(
                        "freshness",
                        sla["ok"],
                        f"{sla['age_hours']:.0f} h old, SLA {sla['sla_hours']} h",
                    )
                )
        if policy.pii_review_required and cols:
            open_columns = [c.name for c in cols if c.pk not in reviewed]
            checks.append(
                Check(
                    "pii_review",
                    not open_columns,
                    f"all {len(cols)} columns reviewed"
                    if not open_columns
                    else f"{len(open_columns)} of {len(cols)} columns not reviewed: "
                    + ", ".join(open_columns[:5])
                    + ("…" if len(open_columns) > 5 else ""),
                )
            )
        out[asset.pk] = checks
    return out


def _tests_check(
    asset: Asset, cols: list[Column], tests: dict[str, set[str]], required: list[str]
) -> Check:
    key, how = primary_key(asset, cols, tests, required)
    if not key:
        return Check(
            "tests",
            False,
            "no primary key found: set meta.primary_key or test a key column "
            + " + ".join(required),
        )
    missing = [
        f"{name}: {test}" for name in key for test in required if test not in tests.get(name, set())
    ]
    if missing:
        return Check("tests", False, f"key {', '.join(key)} ({how}) lacks " + ", ".join(missing))
    return Check("tests", True, f"key {', '.join(key)} ({how}) has {' + '.join(required)}")


def policy_checks(asset: Asset) -> list[Check]:
    return policy_checks_many([asset])[asset.pk]


def assets_owned_by(user) -> Q:
    """A filter on Asset for "my assets": owned by me or by a team I am a member of, as set
    in Lexicon; when no person set owners, dbt meta naming my email or one of my teams
    (by name or email)."""
    from django.db.models import Exists, OuterRef

    from governance.models import Team

    mine = AssetOwner.objects.filter(Q(user=user) | Q(team__members=user)).values("asset_id")
    names = [user.email] if user.email else []
    for team_name, team_email in Team.objects.filter(members=user).values_list("name", "email"):
        names += [team_name] + ([team_email] if team_email else [])
    from_dbt = Q()
    for name in names:
        from_dbt |= Q(dbt_owners__icontains=f'"{name}"')
    query = Q(pk__in=mine)
    if names:
        query |= ~Exists(AssetOwner.objects.filter(asset=OuterRef("pk"))) & from_dbt
    return query
