"""Search over the catalog: one small interface, a backend per database.

``search_asset_ids(text, candidates)`` returns a ``SearchPage``: asset ids in rank order,
the total, and facet counts over the best matches. The PostgreSQL backend matches with
weighted ``tsvector``s and GIN indexes; the SQLite backend with FTS5. Both rank the same:

1. live items, then deprecated ones, then removed ones (each labelled on the page);
2. within each, items whose name, label or description hold every word before items
   that match only through column names, descriptions, tags or meta;
3. an exact name match, then a name prefix match, then more query words in the name;
4. then popularity, tier, certification, name.

Popularity therefore never lifts a near-match above an exact or prefix name match.
Counting every match of a broad word ("customer" in half the catalog) would cost more
than the page itself, so the ranking stops at ``RANK_CAP`` matches (or the end of the
requested page, if later): the total then reads "1,000+" and the facets count those
best matches. When nothing matches as typed, each unknown word is corrected to the
nearest word of the vocabulary (names, labels, column names, tags) and the query runs
again; ``SearchPage.corrected`` says what ran.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import QuerySet

from catalog.models import (
    Asset,
    Column,
    SearchDocument,
    SearchText,
    SearchWord,
    SourceFreshnessResult,
)

_TOKEN_RE = re.compile(r"[0-9A-Za-z]+")
_TRUTHY = {"true", "yes", "1", "certified"}
# Matches ranked (and counted, and faceted) per search, unless a later page is asked for.
RANK_CAP = 1_000
# The start of a description that counts as a "primary" field (SearchDocument.summary).
SUMMARY_CHARS = 300
WORD_SIMILARITY = 0.3  # pg_trgm similarity a correction must reach
FACET_FIELDS = (
    "kind",
    "project_id",
    "database",
    "schema",
    "tier",
    "owners",
    "tags",
    "has_pii",
    "freshness",
    "deprecated",
)


@dataclass
class SearchPage:
    asset_ids: list[int]
    total: int
    corrected: str | None = None  # the query actually run when a spelling correction kicked in
    facets: dict[str, Counter] = field(
        default_factory=dict
    )  # facet -> value -> count, over the ranked matches
    capped: bool = False  # more matches exist than were ranked: the total is a lower bound


def tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN_RE.findall(text or "")][:12]


def _words(text: str) -> set[str]:
    return {t.lower() for t in _TOKEN_RE.findall(text or "")}


def facet_counts(rows: Iterable[Sequence]) -> dict[str, Counter]:
    """Counts per facet value over rows of ``FACET_FIELDS``."""
    counts: dict[str, Counter] = {
        key: Counter()
        for key in (
            "kind",
            "project",
            "schema",
            "tier",
            "owner",
            "tag",
            "has_pii",
            "freshness",
            "deprecated",
        )
    }
    for (
        kind,
        project_id,
        database,
        schema,
        tier,
        owners,
        tags,
        has_pii,
        freshness,
        deprecated,
    ) in rows:
        counts["kind"][kind] += 1
        counts["project"][project_id] += 1
        if schema:
            counts["schema"][(database, schema)] += 1
        if tier is not None:
            counts["tier"][tier] += 1
        if isinstance(owners, str):  # unit-separated text from PostgreSQL (_FACETS_SQL)
            owners = owners.split("\x1f") if owners else ()
            tags = tags.split("\x1f") if tags else ()
        if owners:
            counts["owner"].update(set(owners))
        if tags:
            counts["tag"].update(set(tags))
        if has_pii:
            counts["has_pii"][True] += 1
        if freshness:
            counts["freshness"][freshness] += 1
        if deprecated:
            counts["deprecated"][True] += 1
    return counts


# ---------------------------------------------------------------------------- documents


def _meta_text(meta: dict) -> str:
    parts = []
    for key, value in (meta or {}).items():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            parts.append(f"{key} {value}")
    return " ".join(parts)[:5000]


def search_documents_sync(asset_ids: Iterable[int]) -> int:
    """(Re)build the search documents of these assets from their catalog rows, and add
    their words to the vocabulary."""
    from catalog.selectors import latest_status_by

    ids = list(asset_ids)
    written = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        columns: dict[int, list[str]] = {}
        pii: set[int] = set()
        vocabulary: set[str] = set()
        for asset_id, name, description, dbt_pii in (
            Column.objects.filter(asset_id__in=chunk, removed_at__isnull=True)
            .values_list("asset_id", "name", "description", "dbt_pii")
            .order_by("asset_id", "position")
        ):
            columns.setdefault(asset_id, []).append(f"{name} {description}".strip())
            vocabulary |= _words(name)
            if dbt_pii:
                pii.add(asset_id)
        freshness = latest_status_by(
            SourceFreshnessResult.objects.filter(asset_id__in=chunk), "asset_id"
        )
        docs, texts = [], []
        for asset in Asset.objects.filter(pk__in=chunk).only(
            "id",
            "project_id",
            "kind",
            "name",
            "label",
            "description",
            "tags",
            "meta",
            "dbt_tier",
            "dbt_owners",
            "database",
            "schema",
            "removed_at",
        ):
            meta = asset.meta or {}
            status = freshness.get(asset.pk, "")
            docs.append(
                SearchDocument(
                    asset_id=asset.pk,
                    project_id=asset.project_id,
                    kind=asset.kind,
                    name=asset.name,
                    label=asset.label,
                    summary=asset.description[:SUMMARY_CHARS],
                    tier=asset.dbt_tier,
                    certified=str(meta.get("certified", "")).lower() in _TRUTHY,
                    deprecated=bool(meta.get("deprecated"))
                    or str(meta.get("status", "")).lower() == "deprecated",
                    removed=asset.removed_at is not None,
                    database=asset.database or "",
                    schema=asset.schema or "",
                    owners=sorted(set(asset.dbt_owners or [])),
                    tags=sorted(set(asset.tags or [])),
                    has_pii=asset.pk in pii,
                    freshness="error" if status == "runtime error" else status,
                )
            )
            texts.append(
                SearchText(
                    asset_id=asset.pk,
                    name=asset.name,
                    label=asset.label,
                    description=asset.description[:20000],
                    column_text=" ".join(columns.get(asset.pk, []))[:50000],
                    tag_text=(" ".join(asset.tags or []) + " " + _meta_text(meta)).strip(),
                )
            )
            vocabulary |= (
                _words(asset.name) | _words(asset.label) | _words(" ".join(asset.tags or []))
            )
        _apply_signal_sources(docs)
        SearchDocument.objects.bulk_create(
            docs,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["asset"],
            update_fields=[
                "project",
                "kind",
                "name",
                "label",
                "summary",
                "tier",
                "certified",
                "deprecated",
                "removed",
                "database",
                "schema",
                "owners",
                "tags",
                "has_pii",
                "freshness",
            ],
        )
        SearchText.objects.bulk_create(
            texts,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["asset"],
            update_fields=["name", "label", "description", "column_text", "tag_text"],
        )
        SearchWord.objects.bulk_create(
            [
                SearchWord(word=w)
                for w in sorted(vocabulary)
                if 3 <= len(w) <= 64 and not w.isdigit()
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        written += len(docs)
    return written


SIGNALS = frozenset({"tier", "popularity", "deprecated", "certified"})


def _signals_checked(signals: dict) -> dict:
    unknown = set(signals) - SIGNALS
    if unknown:
        raise ValueError(f"not a ranking signal: {', '.join(sorted(unknown))}")
    return signals


def _apply_signal_sources(docs: list[SearchDocument]) -> None:
    """Lay the registered sources' signals (a reviewer's tier, a deprecation notice) over
    documents just built from dbt's facts, so that a rebuild never undoes a person's decision."""
    from lexicon_core.extensions import search_signal_sources

    by_id = {doc.asset_id: doc for doc in docs}
    for source in search_signal_sources():
        for asset_id, signals in source.fn(list(by_id)).items():
            doc = by_id.get(asset_id)
            if doc is not None:
                for key, value in _signals_checked(signals).items():
                    setattr(doc, key, value)


def search_signals_set(asset_id: int, **signals) -> None:
    """Update ranking signals (tier, popularity, deprecated, certified) of one document."""
    SearchDocument.objects.filter(asset_id=asset_id).update(**_signals_checked(signals))


# ---------------------------------------------------------------------------- backends

# The rank of a match is (group, tier, then the static order): group 0 live, 1
# deprecated, 2 removed; tier 0 exact name, 1 name prefix, 2 every word in the name,
# 3 every word in name/label/summary, 4 the rest (columns, full description, tags,
# meta); the static order is popularity, tier, certification, name.
EXACT, PREFIX, IN_NAME, IN_PRIMARY, ELSEWHERE = range(5)
_GROUP_SQL = "CASE WHEN d.removed THEN 2 WHEN d.deprecated THEN 1 ELSE 0 END"
# owners and tags come as text joined by a unit separator: PostgreSQL unpacks the JSON
# faster than Python decodes a thousand small documents.
_LIST_SQL = "array_to_string(ARRAY(SELECT jsonb_array_elements_text(d.{0})), E'\\x1f')"
_FACETS_SQL = ", ".join(
    _LIST_SQL.format(f) if f in ("owners", "tags") else f"d.{f}" for f in FACET_FIELDS
)
# Matches the index catalog_searchdocument_static (migration 0007): for a broad word the
# database walks it and stops after a page of matches instead of sorting them all.
_STATIC_ORDER_SQL = (
    "d.removed, d.deprecated, d.popularity DESC, d.tier ASC NULLS LAST, d.certified DESC, "
    "d.name, d.asset_id"
)


def _static_key(doc: SearchDocument) -> tuple:
    return _python_static(doc.popularity, doc.tier, doc.certified, doc.name, doc.asset_id)


def _group(doc: SearchDocument) -> int:
    return 2 if doc.removed else 1 if doc.deprecated else 0


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# A tier with fewer matches is ranked by sorting them; a larger one by walking the static order.
SMALL_TIER = 2_000
# A tier this common among the first RANK_CAP matches is walked without counting it first.
WALK_SAMPLED = 100
_STATIC_FIELDS_SQL = "d.popularity, d.tier, d.certified, d.name"
_TIER_SQL = (
    f"CASE WHEN lower(d.name) = %s THEN {EXACT} WHEN starts_with(lower(d.name), %s) THEN {PREFIX} "
    f"WHEN d.name_vector @@ to_tsquery('simple', %s) THEN {IN_NAME} "
    f"WHEN d.primary_vector @@ to_tsquery('simple', %s) THEN {IN_PRIMARY} ELSE {ELSEWHERE} END"
)


def _python_static(
    popularity: float, tier: int | None, certified: bool, name: str, asset_id: int
) -> tuple:
    return (-popularity, tier if tier is not None else 10**6, not certified, name, asset_id)


def _pg_matches(
    words: list[str], query: str, scope_sql: str, scope_params: list, cap: int
) -> list[tuple]:
    """Up to ``cap + 1`` matches (storage order) as (asset_id, group, tier, popularity,
    tier, certified, name, *FACET_FIELDS): all of them for most queries, a sample for a
    broad word, taken from the narrow rows when their name, label or summary suffice (a
    single word only: several words rarely fill it, and then it would be asked twice)."""
    tsq = " & ".join(f"{w}:*" for w in words)
    head = f"SELECT d.asset_id, {_GROUP_SQL}, {_TIER_SQL}, {_STATIC_FIELDS_SQL}, {_FACETS_SQL} "
    sources = [
        ("FROM catalog_searchdocument d WHERE d.primary_vector", len(words) == 1),
        (
            "FROM catalog_searchtext t JOIN catalog_searchdocument d ON d.asset_id = t.asset_id "
            "WHERE t.vector",
            True,
        ),
    ]
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for source, wanted in sources:
            if not wanted:
                continue
            # Every piece is a literal of this module; user input only travels as parameters.
            cursor.execute(
                f"{head}{source} @@ to_tsquery('simple', %s){scope_sql} LIMIT %s",  # noqa: S608
                [query, query, tsq, tsq, tsq, *scope_params, cap + 1],
            )
            rows = cursor.fetchall()
            if len(rows) > cap:
                break
    return rows


def _pg_walk(cursor, tier: int, where: str, params: list, want: int) -> list[tuple]:
    """The first ``want`` rows of a large tier in the static order, read from the index in
    that order. Only called for a tier known to be large: the planner would not choose
    this itself, as it badly underestimates multi-word prefix matches, so bitmap scans are
    off and the condition is wrapped where its estimate cannot reach."""
    cursor.execute("SET LOCAL enable_bitmapscan = off")
    cursor.execute(
        f"SELECT d.asset_id, {_GROUP_SQL}, {tier} FROM catalog_searchdocument d "  # noqa: S608
        f"WHERE coalesce({where}, false) ORDER BY {_STATIC_ORDER_SQL} LIMIT %s",
        [*params, want],
    )
    found = cursor.fetchall()
    cursor.execute("SET LOCAL enable_bitmapscan = on")
    return found


def _pg_ranked(
    words: list[str], query: str, scope_sql: str, scope_params: list, want: int, sampled: Counter
) -> list[tuple]:
    """The best ``want`` matches of a broad search as (asset_id, group, tier), one tier at
    a time: a small tier is sorted, a large one read in the static order (an index walk
    that stops after ``want`` rows); stops once enough live matches are in hand.

    ``sampled`` counts the tiers of the first matches: a tier common among them is large
    and walked at once; a rare one is sorted if it proves small (the planner's estimates
    for prefix words are too rough to choose for us)."""
    tsq = " & ".join(f"{w}:*" for w in words)
    primary = "d.primary_vector @@ to_tsquery('simple', %s)"
    in_name = "d.name_vector @@ to_tsquery('simple', %s)"
    elsewhere = (
        "EXISTS (SELECT 1 FROM catalog_searchtext t WHERE t.asset_id = d.asset_id "  # noqa: S608
        "AND t.vector @@ to_tsquery('simple', %s)) AND NOT " + primary
    )
    # Walking, each document's text is looked up by key (a join would read every match).
    elsewhere_walk = (
        "(SELECT t.vector FROM catalog_searchtext t WHERE t.asset_id = d.asset_id) "  # noqa: S608
        "@@ to_tsquery('simple', %s) AND NOT " + primary
    )
    prefix = _like_prefix(query)
    tiers = [  # (tier, condition, condition when walking, parameters)
        (EXACT, f"lower(d.name) = %s AND {primary}", None, [query, tsq]),
        (
            PREFIX,
            f"lower(d.name) LIKE %s AND lower(d.name) <> %s AND {primary}",
            None,
            [prefix, query, tsq],
        ),
        (IN_NAME, f"{in_name} AND NOT lower(d.name) LIKE %s", None, [tsq, prefix]),
        (IN_PRIMARY, f"{primary} AND NOT {in_name}", None, [tsq, tsq]),
        (ELSEWHERE, elsewhere, elsewhere_walk, [tsq, tsq]),
    ]
    static_m, group_m = _STATIC_ORDER_SQL.replace("d.", "m."), _GROUP_SQL.replace("d.", "m.")
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for tier, where, walk_where, params in tiers:
            walk_where = (walk_where or where) + scope_sql
            where, params = where + scope_sql, [*params, *scope_params]
            if sampled[tier] >= WALK_SAMPLED:
                found = _pg_walk(cursor, tier, walk_where, params, want)
            else:
                # Every piece is a literal of this module; user input only travels as parameters.
                cursor.execute(
                    "WITH m AS MATERIALIZED (SELECT d.asset_id, d.removed, d.deprecated, "  # noqa: S608
                    f"{_STATIC_FIELDS_SQL} FROM catalog_searchdocument d WHERE {where} LIMIT %s) "
                    f"SELECT m.asset_id, {group_m}, {tier}, "
                    f"(SELECT count(*) FROM m) FROM m ORDER BY {static_m} LIMIT %s",
                    [*params, SMALL_TIER, want],
                )
                found = cursor.fetchall()
                if found and found[0][3] >= SMALL_TIER:  # a large tier after all: walk it
                    found = _pg_walk(cursor, tier, walk_where, params, want)
            rows += [r[:3] for r in found]
            if sum(1 for r in rows if r[1] == 0) >= want:
                break
    return rows


def _pg_corrections(words: list[str]) -> list[str]:
    fixed = []
    with connection.cursor() as cursor:
        for word in words:
            cursor.execute(
                "SELECT 1 FROM catalog_searchword WHERE word LIKE %s LIMIT 1", [f"{word}%"]
            )
            if cursor.fetchone():
                fixed.append(word)
                continue
            cursor.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', %s, true)",
                [str(WORD_SIMILARITY)],
            )
            cursor.execute(
                "SELECT word FROM catalog_searchword WHERE word %% %s "
                "ORDER BY similarity(word, %s) DESC, word LIMIT 1",
                [word, word],
            )
            row = cursor.fetchone()
            fixed.append(row[0] if row else word)
    return fixed


def _postgres(
    words: list[str], query: str, scope: tuple[str, list], want: int, cap: int
) -> tuple[list, list]:
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner prices matching a tsvector too low and scans whole tables for broad
        # words; the GIN and ordered indexes are much faster here (see bench/README.md).
        cursor.execute("SET LOCAL enable_seqscan = off")
        matches = _pg_matches(words, query, *scope, cap)
        if len(matches) <= cap:  # every match is in hand: rank them here
            rows = [(m[0], m[1], m[2], _python_static(*m[3:7], m[0])) for m in matches]
            rows.sort(key=lambda r: r[1:])
        else:
            rows = _pg_ranked(words, query, *scope, want, Counter(m[2] for m in matches))
    return rows, [m[7:] for m in matches]


def _vocabulary() -> list[str]:
    """The vocabulary, for spelling corrections on SQLite (read only when nothing matched)."""
    return list(SearchWord.objects.order_by("word").values_list("word", flat=True))


def _sqlite_corrections(words: list[str]) -> list[str]:
    vocabulary = _vocabulary()
    return [
        w
        if any(v.startswith(w) for v in vocabulary)
        else (difflib.get_close_matches(w, vocabulary, n=1, cutoff=0.75) or [w])[0]
        for w in words
    ]


def _sqlite(
    words: list[str],
    query: str,
    candidates: QuerySet[Asset] | None,
    include_removed: bool,
    cap: int,
) -> tuple[list, list]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM catalog_searchtext_fts "
            "WHERE catalog_searchtext_fts MATCH %s LIMIT 20000",
            [" AND ".join(f'"{w}"*' for w in words)],
        )
        hits = [row[0] for row in cursor.fetchall()]
    docs = SearchDocument.objects.filter(asset_id__in=hits)
    if candidates is not None:
        docs = docs.filter(asset__in=candidates.values("pk"))
    elif not include_removed:
        docs = docs.filter(removed=False)

    def tier(doc: SearchDocument) -> int:
        name = doc.name.lower()
        name_words = _words(doc.name)
        if name == query:
            return EXACT
        if name.startswith(query):
            return PREFIX
        if all(any(t.startswith(w) for t in name_words) for w in words):
            return IN_NAME
        primary = name_words | _words(doc.label) | _words(doc.summary)
        return (
            IN_PRIMARY if all(any(t.startswith(w) for t in primary) for w in words) else ELSEWHERE
        )

    ranked = sorted(
        (
            (_group(d), tier(d), _static_key(d), d)
            for d in docs.only(
                "asset_id",
                "name",
                "label",
                "summary",
                "popularity",
                "certified",
                "removed",
                *FACET_FIELDS,
            )
        ),
        key=lambda r: r[:3],
    )
    rows = [(d.asset_id, group, t) for group, t, _key, d in ranked]
    return rows, [tuple(getattr(d, f) for f in FACET_FIELDS) for *_r, d in ranked[: cap + 1]]


def search_asset_ids(
    text: str,
    candidates: QuerySet[Asset] | None = None,
    *,
    limit: int = 25,
    offset: int = 0,
    include_removed: bool = True,
) -> SearchPage:
    """Asset ids matching ``text``, best first, with the total and facet counts.

    ``candidates`` (a filtered ``Asset`` queryset) limits the search; without it every
    document is a candidate, removed ones only when ``include_removed``.
    """
    words = tokens(text)
    if not words:
        return SearchPage([], 0)
    query = text.strip().lower()
    cap = max(RANK_CAP, offset + limit)
    if connection.vendor == "postgresql":
        if candidates is not None:
            sql, params = candidates.order_by().values("pk").query.sql_with_params()
            scope = (f" AND d.asset_id IN ({sql})", list(params))
        else:
            scope = ("" if include_removed else " AND NOT d.removed", [])

        def run(w, q):
            return _postgres(w, q, scope, offset + limit, cap)

        correct = _pg_corrections
    else:

        def run(w, q):
            return _sqlite(w, q, candidates, include_removed, cap)

        correct = _sqlite_corrections
    rows, facet_rows = run(words, query)
    corrected = None
    if not facet_rows:
        fixed = correct(words)
        if fixed != words:
            corrected = " ".join(fixed)
            rows, facet_rows = run(fixed, corrected)
    capped = len(facet_rows) > cap
    facet_rows = facet_rows[:cap]
    rows.sort(key=lambda r: (r[1], r[2]))  # stable: each backend hands each tier in its own order
    seen: set[int] = set()
    ids = [r[0] for r in rows if not (r[0] in seen or seen.add(r[0]))]
    return SearchPage(
        ids[offset : offset + limit], len(facet_rows), corrected, facet_counts(facet_rows), capped
    )
