"""Export what people decided here back to dbt: a ``schema.yml``-shaped meta patch.

Only entries where a person decided something are written: owners set in Lexicon, a
tier set by a reviewer, PII confirmed or rejected by a person, a description written here.
The keys are the first of the configured ``LEXICON_META_*`` keys, so Lexicon reads the
patch back as the same owners, tier and PII flags (``catalog.meta``). Models, seeds and
snapshots carry ``config: meta:``; columns carry ``meta:`` (every dbt version accepts it);
sources are nested under their source name, as in dbt.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import yaml
from django.conf import settings
from django.db.models import Q

from catalog.models import Asset, AssetKind, Project
from governance.models import (
    AssetDescription,
    AssetOwner,
    AssetTier,
    ColumnClassification,
    PiiCategory,
)

SECTIONS = {AssetKind.MODEL: "models", AssetKind.SEED: "seeds", AssetKind.SNAPSHOT: "snapshots"}


def _owner_name(row: AssetOwner) -> str:
    if row.user_id:
        return row.user.email or row.user.get_username()
    return row.team.email or row.team.name


def project_meta_patch(project: Project) -> dict[str, Any]:
    """The patch as data: ``{"version": 2, "models": [...], "sources": [...], ...}``."""
    owner_key = settings.LEXICON_META_OWNER_KEYS[0]
    tier_key = settings.LEXICON_META_TIER_KEYS[0]
    pii_key = settings.LEXICON_META_PII_KEYS[0]
    assets = Asset.objects.filter(project=project, removed_at__isnull=True)

    meta: dict[int, dict[str, Any]] = defaultdict(dict)
    owners: dict[int, list[AssetOwner]] = defaultdict(list)
    for row in (
        AssetOwner.objects.filter(asset__in=assets)
        .select_related("user", "team")
        .order_by("asset_id", "id")
    ):
        owners[row.asset_id].append(row)
    for asset_id, rows in owners.items():
        meta[asset_id][owner_key] = list(dict.fromkeys(_owner_name(r) for r in rows))
        meta[asset_id]["lexicon_owners"] = [
            {"name": _owner_name(r), "type": r.owner_type} for r in rows
        ]
    for asset_id, tier in AssetTier.objects.filter(asset__in=assets).values_list(
        "asset_id", "tier"
    ):
        meta[asset_id][tier_key] = tier

    descriptions = dict(
        AssetDescription.objects.filter(asset__in=assets).values_list("asset_id", "text")
    )
    column_meta: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    # A person's decision: their own classification, or a suggestion they confirmed or rejected.
    decisions = (
        ColumnClassification.objects.filter(
            Q(origin=ColumnClassification.Origin.PERSON) | Q(decided_by__isnull=False),
            column__asset__in=assets,
            column__removed_at__isnull=True,
            status__in=(
                ColumnClassification.Status.CONFIRMED,
                ColumnClassification.Status.REJECTED,
            ),
        )
        .select_related("column")
        .order_by("column__asset_id", "column__position", "column__name", "id")
    )
    for decision in decisions:
        is_pii = (
            decision.status == ColumnClassification.Status.CONFIRMED
            and decision.category != PiiCategory.NONE
        )
        entries = column_meta[decision.column.asset_id]
        if entries.get(decision.column.name, {}).get(pii_key):
            continue  # a confirmed PII category wins over a rejection of another category
        entry: dict[str, Any] = {pii_key: is_pii}
        if is_pii:
            entry["pii_category"] = decision.category
            entry["pii_sensitivity"] = decision.sensitivity
        entries[decision.column.name] = entry

    touched = set(meta) | set(column_meta) | set(descriptions)
    patch: dict[str, Any] = {"version": 2}
    sources: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for asset in assets.filter(pk__in=touched).order_by("kind", "name", "version"):
        entry = _entry(
            asset.name, meta.get(asset.pk), column_meta.get(asset.pk), descriptions.get(asset.pk)
        )
        if asset.kind == AssetKind.SOURCE:
            sources[(asset.details or {}).get("source_name") or "unknown"].append(entry)
        elif asset.kind in SECTIONS:
            section = patch.setdefault(SECTIONS[asset.kind], [])
            if asset.version:
                section_entry = next((e for e in section if e["name"] == asset.name), None)
                if section_entry is None:
                    section_entry = {"name": asset.name, "versions": []}
                    section.append(section_entry)
                versioned = {k: v for k, v in entry.items() if k != "name"}
                section_entry["versions"].append({"v": _version(asset.version), **versioned})
            else:
                section.append(entry)
    if sources:
        patch["sources"] = [
            {"name": name, "tables": tables} for name, tables in sorted(sources.items())
        ]
    return patch


def _version(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _entry(
    name: str,
    meta: dict[str, Any] | None,
    columns: dict[str, dict[str, Any]] | None,
    description: str | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name}
    if description:
        entry["description"] = description
    if meta:
        entry["config"] = {"meta": meta}
    if columns:
        entry["columns"] = [{"name": column, "meta": values} for column, values in columns.items()]
    return entry


def project_meta_patch_yaml(project: Project) -> str:
    header = (
        "# Lexicon: owners, tiers and PII decisions made by people for dbt project "
        f"{project.name}.\n"
        "# Merge these meta keys into your schema.yml files; Lexicon reads them back unchanged.\n"
    )
    body = yaml.safe_dump(
        project_meta_patch(project), sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    return header + body


def meta_patch_response(project: Project):
    """The YAML as a download, for the page link and the API alike."""
    from django.http import HttpResponse
    from django.utils.text import slugify

    response = HttpResponse(
        project_meta_patch_yaml(project), content_type="application/yaml; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{slugify(project.name) or project.pk}-lexicon-meta.yml"'
    )
    return response
