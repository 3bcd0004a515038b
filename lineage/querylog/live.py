"""Live PostgreSQL sources: ``pg_stat_statements`` of a configured database.

The view holds running totals per (userid, dbid, queryid). A pull turns them into
records of the calls made since the previous pull: the previous totals are kept on the
source (``pull_state``) and saved in the same transaction as the aggregates, so a failed
pull counts nothing and the next one picks up the whole difference. A total lower than
last time means the statistics were reset; the new total is then the delta.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from lineage.models import QueryLogSource
from lineage.querylog.formats.base import LogRecord

_QUERY = """
SELECT s.userid::text, s.dbid::text, s.queryid::text, s.query, s.calls, s.total_exec_time, s.rows,
       coalesce(r.rolname, ''), coalesce(d.datname, '')
FROM pg_stat_statements s
LEFT JOIN pg_roles r ON r.oid = s.userid
LEFT JOIN pg_database d ON d.oid = s.dbid
WHERE s.queryid IS NOT NULL
"""

# Statements of Lexicon's own pull and of the server's housekeeping are not usage.
_IGNORED_PREFIXES = (
    "select s.userid::text",
    "set ",
    "show ",
    "begin",
    "commit",
    "rollback",
    "discard ",
    "deallocate",
    "reset ",
)


class LivePullError(ValueError):
    pass


def fetch_pg_stat_statements(url: str) -> list[tuple]:
    """Current rows of ``pg_stat_statements`` at ``url``; a clear error when unavailable."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=10, autocommit=True) as conn:
            return conn.execute(_QUERY).fetchall()
    except psycopg.errors.UndefinedTable:
        raise LivePullError(
            "pg_stat_statements is not installed in that database: "
            "run CREATE EXTENSION pg_stat_statements."
        ) from None
    except psycopg.errors.ObjectNotInPrerequisiteState as exc:
        raise LivePullError(
            f"pg_stat_statements cannot be read: {str(exc).strip().splitlines()[0]} "
            "(add it to shared_preload_libraries and restart PostgreSQL)."
        ) from None
    except psycopg.Error as exc:
        raise LivePullError(
            f"Cannot read pg_stat_statements: {str(exc).strip().splitlines()[0]}"
        ) from None


def deltas(rows: list[tuple], previous: dict, pulled_at: datetime) -> tuple[list[LogRecord], dict]:
    """Records of the calls since ``previous`` and the totals to keep for next time."""
    counters = previous.get("counters", {}) if previous else {}
    first_pull = not counters
    stamp = pulled_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%f")
    records: list[LogRecord] = []
    state: dict[str, list] = {}
    for userid, dbid, queryid, query, calls, total_ms, rows_out, user, database in rows:
        key = f"{userid}:{dbid}:{queryid}"
        state[key] = [int(calls), float(total_ms or 0), int(rows_out or 0)]
        before = counters.get(key)
        if before is not None and int(calls) >= before[0]:
            delta_calls, delta_ms, delta_rows = (
                int(calls) - before[0],
                float(total_ms or 0) - before[1],
                int(rows_out or 0) - before[2],
            )
        else:  # new statement, or statistics reset since the last pull
            delta_calls, delta_ms, delta_rows = int(calls), float(total_ms or 0), int(rows_out or 0)
        if delta_calls <= 0 or not query or query.strip().lower().startswith(_IGNORED_PREFIXES):
            continue
        records.append(
            LogRecord(
                query_id=f"{key}@{stamp}",
                text=query,
                started_at=pulled_at,
                user=user,
                database=database,
                calls=delta_calls,
                duration_ms=delta_ms / delta_calls,
                rows=delta_rows,
            )
        )
    return records, {
        "counters": state,
        "pulled_at": pulled_at.isoformat(),
        "first_pull": first_pull,
    }


def pg_stat_statements_items(
    source: QueryLogSource, *, fetch=fetch_pg_stat_statements, now: datetime | None = None
) -> tuple[Iterator[LogRecord], dict]:
    from django.utils import timezone

    from lineage.services import QueryLogError

    try:
        rows = fetch(source.settings["url"])
    except LivePullError as exc:
        raise QueryLogError(f"{source.name}: {exc}") from None
    records, state = deltas(rows, source.pull_state or {}, now or timezone.now())
    return iter(records), state
