"""Search over the catalog: one small interface, a backend per database.

``search_asset_ids(text, candidates)`` returns asset ids in rank order. The PostgreSQL
backend uses the generated, weighted ``tsvector`` and a trigram index on names; the
SQLite backend uses FTS5 with BM25 weights and a spelling fallback over name words.

Ranking, in order: removed and deprecated items last; an exact name match, then a name
prefix match; text relevance (coarsely bucketed so that near-equal relevance ties);
then popularity, tier, certification, name. Popularity therefore never lifts a
near-match above an exact or prefix name match.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, IntegerField, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Round

from catalog.models import Asset, Column, SearchDocument

_TOKEN_RE = re.compile(r"[0-9A-Za-z]+")
_TRUTHY = {"true", "yes", "1", "certified"}
FACET_CAP = 1_000  # facet counts are computed over at most this many matches
TOTAL_CAP = 1_000  # matches are counted up to this many, then shown as "1,000+"
WORD_SIMILARITY = 0.4  # pg_trgm word_similarity threshold for the typo fallback on names


@dataclass
class SearchPage:
    asset_ids: list[int]
    total: int
    corrected: str | None = None  # the query actually run when a spelling fallback kicked in
    all_ids: list[int] | None = None  # matching ids (up to FACET_CAP), for facet counts
    capped: bool = False  # total stopped counting at TOTAL_CAP


def tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN_RE.findall(text or "")][:12]


# ---------------------------------------------------------------------------- documents


def _meta_text(meta: dict) -> str:
    parts = []
    for key, value in (meta or {}).items():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            parts.append(f"{key} {value}")
    return " ".join(parts)[:5000]


def search_documents_sync(asset_ids: Iterable[int]) -> int:
    """(Re)build the search documents of these assets from their catalog rows."""
    ids = list(asset_ids)
    written = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        columns: dict[int, list[str]] = {}
        for asset_id, name, description in Column.objects.filter(
            asset_id__in=chunk, removed_at__isnull=True
        ).values_list("asset_id", "name", "description").order_by("asset_id", "position"):
            columns.setdefault(asset_id, []).append(f"{name} {description}".strip())
        docs = []
        for asset in Asset.objects.filter(pk__in=chunk).only(
            "id", "project_id", "kind", "name", "label", "description", "tags", "meta", "dbt_tier", "removed_at"
        ):
            meta = asset.meta or {}
            docs.append(SearchDocument(
                asset_id=asset.pk, project_id=asset.project_id, kind=asset.kind, name=asset.name,
                label=asset.label, description=asset.description[:20000],
                column_text=" ".join(columns.get(asset.pk, []))[:50000],
                tag_text=(" ".join(asset.tags or []) + " " + _meta_text(meta)).strip(),
                tier=asset.dbt_tier, certified=str(meta.get("certified", "")).lower() in _TRUTHY,
                deprecated=bool(meta.get("deprecated")) or str(meta.get("status", "")).lower() == "deprecated",
                removed=asset.removed_at is not None,
            ))
        SearchDocument.objects.bulk_create(
            docs, batch_size=500, update_conflicts=True, unique_fields=["asset"],
            update_fields=["project", "kind", "name", "label", "description", "column_text", "tag_text", "tier",
                           "certified", "deprecated", "removed"],
        )
        written += len(docs)
    return written


def search_signals_set(asset_id: int, **signals) -> None:
    """Update ranking signals (tier, popularity, deprecated, certified) of one document."""
    allowed = {"tier", "popularity", "deprecated", "certified"}
    unknown = set(signals) - allowed
    if unknown:
        raise ValueError(f"not a ranking signal: {', '.join(sorted(unknown))}")
    SearchDocument.objects.filter(asset_id=asset_id).update(**signals)


# ---------------------------------------------------------------------------- backends


def _rank_key(doc: SearchDocument, relevance: float, text: str) -> tuple:
    name = doc.name.lower()
    query = text.strip().lower()
    return (
        doc.removed, doc.deprecated, name != query, not name.startswith(query),
        -round(relevance * 10), -doc.popularity, doc.tier or 9, not doc.certified, name,
    )


def _postgres(text: str, candidates: QuerySet[Asset] | None, limit: int, offset: int) -> SearchPage:
    words = tokens(text)
    if not words:
        return SearchPage([], 0)
    tsquery = " & ".join(f"{w}:*" for w in words)
    query = text.strip().lower()
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)", [str(WORD_SIMILARITY)])
    docs = SearchDocument.objects.all()
    if candidates is not None:
        docs = docs.filter(asset__in=candidates.values("pk"))
    matched = docs.filter(RawSQL("vector @@ to_tsquery('simple', %s)", [tsquery], output_field=BooleanField()))
    # Counting every match of a broad word ("customer" in half the column names) costs more
    # than the page itself: count up to TOTAL_CAP and say "1,000+" beyond.
    total = matched[:TOTAL_CAP + 1].count()
    relevance_sql, relevance_params = "ts_rank_cd(vector, to_tsquery('simple', %s), 1)", [tsquery]
    if total == 0:
        # Nothing matches as typed: fall back to names that are similar (typos), by trigrams.
        matched = docs.filter(RawSQL("%s <%% lower(name)", [query], output_field=BooleanField()))
        total = matched[:TOTAL_CAP + 1].count()
        relevance_sql, relevance_params = "word_similarity(%s, lower(name))", [query]
        ranked_from = matched
    else:
        # Rank only name/label/description matches (weights A and B) when they fill the
        # page: column-only matches would rank below them anyway, and ranking thousands of
        # them is what makes broad words slow.
        primary_query = " & ".join(f"{w}:*AB" for w in words)
        primary = docs.filter(RawSQL("vector @@ to_tsquery('simple', %s)", [primary_query],
                                     output_field=BooleanField()))
        ranked_from = primary if primary[: offset + limit].count() >= offset + limit else matched
    ranked = ranked_from.annotate(
        # relevance_sql is one of the two literals above; user input only travels as a parameter.
        relevance=RawSQL(relevance_sql, relevance_params, output_field=FloatField()),  # noqa: S611
        exact=Case(When(name__iexact=query, then=Value(0)), default=Value(1), output_field=IntegerField()),
        prefix=Case(When(name__istartswith=query, then=Value(0)), default=Value(1), output_field=IntegerField()),
    ).annotate(bucket=Round(F("relevance") * 10)).order_by(
        "removed", "deprecated", "exact", "prefix", F("bucket").desc(), F("popularity").desc(),
        F("tier").asc(nulls_last=True), F("certified").desc(), "name",
    )
    ids = list(ranked.values_list("asset_id", flat=True)[offset:offset + limit])
    all_ids = list(matched.values_list("asset_id", flat=True)[:FACET_CAP])
    return SearchPage(ids, total, None, all_ids, capped=total > TOTAL_CAP)


_vocabulary_cache: dict[str, object] = {}


def _vocabulary() -> list[str]:
    """Distinct words of asset names, for spelling suggestions (cached per catalog size)."""
    size = SearchDocument.objects.count()
    if _vocabulary_cache.get("size") != size:
        words: set[str] = set()
        for name, label in SearchDocument.objects.values_list("name", "label").iterator(chunk_size=5000):
            words.update(tokens(name.replace("_", " ")))
            words.update(tokens(label))
        _vocabulary_cache.update(size=size, words=sorted(w for w in words if len(w) > 2))
    return _vocabulary_cache["words"]  # type: ignore[return-value]


def _fts_match(words: list[str]) -> str:
    return " AND ".join(f'"{w}"*' for w in words)


def _sqlite_hits(match: str) -> dict[int, float]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid, bm25(catalog_searchdocument_fts, 10.0, 6.0, 6.0, 3.0, 1.0) "
            "FROM catalog_searchdocument_fts WHERE catalog_searchdocument_fts MATCH %s LIMIT 5000",
            [match],
        )
        # bm25 is negative, more negative is better; flip it into a positive relevance.
        return {row[0]: -row[1] for row in cursor.fetchall()}


def _sqlite(text: str, candidates: QuerySet[Asset] | None, limit: int, offset: int) -> SearchPage:
    words = tokens(text)
    if not words:
        return SearchPage([], 0)
    hits = _sqlite_hits(_fts_match(words))
    corrected = None
    if not hits:
        vocabulary = _vocabulary()
        fixed = [w if any(v.startswith(w) for v in vocabulary)
                 else (difflib.get_close_matches(w, vocabulary, n=1, cutoff=0.75) or [w])[0] for w in words]
        if fixed != words:
            corrected = " ".join(fixed)
            hits = _sqlite_hits(_fts_match(fixed))
    if not hits:
        return SearchPage([], 0, corrected)
    docs = SearchDocument.objects.filter(asset_id__in=list(hits))
    if candidates is not None:
        docs = docs.filter(asset__in=candidates.values("pk"))
    top = max(hits.values()) or 1.0
    ordered = sorted(docs, key=lambda d: _rank_key(d, math.sqrt(hits[d.asset_id] / top), corrected or text))
    return SearchPage([d.asset_id for d in ordered[offset:offset + limit]], len(ordered), corrected,
                      [d.asset_id for d in ordered[:FACET_CAP]])


def search_asset_ids(text: str, candidates: QuerySet[Asset] | None = None, *, limit: int = 25,
                     offset: int = 0) -> SearchPage:
    """Asset ids matching ``text`` within ``candidates`` (a filtered queryset), best first."""
    if connection.vendor == "postgresql":
        return _postgres(text, candidates, limit, offset)
    return _sqlite(text, candidates, limit, offset)
