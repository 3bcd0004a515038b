"""Time the query-log pipeline on a 1,000,000-row warehouse log over the 5,000-model catalog.

    python bench/querylog.py                          # 1,000,000 rows, ~10,000 shapes, 5,000 models
    python bench/querylog.py --rows 200000 --shapes 3000 --models 2000

What it does, in one run:

1. Generates a Snowflake QUERY_HISTORY CSV (cached under bench/.cache/): ``--rows`` statements
   of ``--shapes`` distinct shapes (selects with filters and IN-lists, joins on shared keys,
   aggregates, INSERT ... SELECT / CREATE TABLE AS / MERGE into reporting tables outside
   dbt, ~1% unparsable), skewed popularity (Zipf), 400 users, 30 days, every literal random.
2. Loads the benchmark catalog into a fresh PostgreSQL database (``lexicon_bench_querylog``):
   the models and sources of bench/dbtgen.py's generated project (same generator, same seed,
   same names and columns) written straight into the catalog tables. This skips the
   minutes-long ``dbt build`` of the dbt ingest benchmark; the query-log pipeline reads
   only assets, relation keys and columns, which are the same either way.
3. Times ``manage.py ingest_querylog`` in its own process (wall time and peak RSS):
   read → fingerprint → parse each new shape once → resolve → aggregate into PostgreSQL,
   in one transaction. Then ingests the same file again (everything deduplicated).
4. Times the naive baseline, parsing every row with sqlglot, on a sample of rows and
   extrapolates it to all rows (said so in the output).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import sys
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _common import DEFAULT_ADMIN_URL, child_env, project_python, recreate_database  # noqa: E402

BENCH_DB = "lexicon_bench_querylog"
DATABASE = "lexicon_bench"
HEADER = [
    "QUERY_ID",
    "QUERY_TEXT",
    "DATABASE_NAME",
    "SCHEMA_NAME",
    "QUERY_TYPE",
    "USER_NAME",
    "ROLE_NAME",
    "WAREHOUSE_NAME",
    "EXECUTION_STATUS",
    "START_TIME",
    "END_TIME",
    "TOTAL_ELAPSED_TIME",
    "ROWS_PRODUCED",
]
USERS = 400
DAYS = 30
END = datetime(2026, 11, 23, tzinfo=UTC)


# ----------------------------------------------------------------------------- catalog


def catalog_tables(models: int) -> list[tuple[str, str, str, list[str]]]:
    """(kind, schema, name, columns) of the generated project's models and raw sources."""
    from dbtgen import Generator

    gen = Generator(models).generate()
    out = [("source", f"raw_{t.system}", t.name, [c.name for c in t.cols]) for t in gen.raw]
    out += [("model", m.layer, m.name, m.names()) for m in gen.models]
    return out


def load_catalog(models: int) -> None:
    """Runs in a child with Django set up: the catalog rows of the benchmark project."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from catalog.models import Asset, Column, Project
    from catalog.relations import relation_key
    from catalog.search import search_documents_sync

    project = Project.objects.create(
        name="lexicon_bench", adapter_type="snowflake", dialect="snowflake"
    )
    tables = catalog_tables(models)
    assets = [
        Asset(
            project=project,
            unique_id=f"{kind}.lexicon_bench.{schema}.{name}",
            kind=kind,
            name=name,
            database=DATABASE,
            schema=schema,
            identifier=name,
            relation_name=f"{DATABASE}.{schema}.{name}",
            relation_key=relation_key(DATABASE, schema, name),
            dbt_tier=(1 + zlib.crc32(name.encode()) % 3) if kind == "model" else None,
        )
        for kind, schema, name, _cols in tables
    ]
    Asset.objects.bulk_create(assets, batch_size=2000)
    ids = dict(Asset.objects.filter(project=project).values_list("unique_id", "id"))
    columns = [
        Column(
            asset_id=ids[f"{kind}.lexicon_bench.{schema}.{name}"],
            name=col,
            name_key=col.lower(),
            position=i,
            documented=True,
            in_warehouse=True,
        )
        for kind, schema, name, cols in tables
        for i, col in enumerate(dict.fromkeys(cols))
    ]
    Column.objects.bulk_create(columns, batch_size=5000)
    search_documents_sync(ids.values())
    print(f"catalog: {len(assets):,} assets, {len(columns):,} columns")


# ----------------------------------------------------------------------------- the log


def _literal(rng: random.Random, kind: int) -> str:
    if kind == 0:
        return str(rng.randint(1, 10**6))
    if kind == 1:
        return (
            f"'{rng.choice(['active', 'churned', 'trial', 'eu', 'us', 'apac'])}"
            f"-{rng.randint(1, 999)}'"
        )
    day = END - timedelta(days=rng.randint(0, 400))
    return f"'{day:%Y-%m-%d}'"


def make_shapes(tables, n_shapes: int, rng: random.Random) -> list[tuple[str, str, list[int]]]:
    """(query type, template with {0}, {1}... literal slots, slot kinds)."""
    by_column: dict[str, list[int]] = {}
    for i, (_k, _s, _n, cols) in enumerate(tables):
        for col in cols:
            if col.endswith("_id"):
                by_column.setdefault(col, []).append(i)
    shapes: list[tuple[str, str, list[int]]] = []
    seen: set[str] = set()

    def name(i: int, style: int) -> str:
        _kind, schema, table, _cols = tables[i]
        return (
            f"{DATABASE}.{schema}.{table}",
            f"{schema}.{table}",
            f"{DATABASE}.{schema}.{table}",
        )[style]

    while len(shapes) < n_shapes:
        t = rng.randrange(len(tables))
        cols = list(dict.fromkeys(tables[t][3]))
        pick = rng.sample(cols, min(len(cols), rng.randint(2, 6)))
        where = rng.choice(cols)
        roll = rng.random()
        style = rng.choice((0, 0, 0, 1, 2))
        slots: list[int] = []

        def slot(kind: int, slots: list[int] = slots) -> str:
            slots.append(kind)
            return "{" + str(len(slots) - 1) + "}"

        if roll < 0.62:
            text = (
                f"SELECT {', '.join(pick)} FROM {name(t, style)} "
                f"WHERE {where} = {slot(rng.randrange(3))}"
                + (
                    f" AND {pick[0]} IN ({', '.join(slot(0) for _ in range(rng.randint(2, 8)))})"
                    if rng.random() < 0.4
                    else ""
                )
                + f" LIMIT {slot(0)}"
            )
            qtype = "SELECT"
        elif roll < 0.78:
            keys = [c for c in cols if c.endswith("_id") and len(by_column.get(c, [])) > 1]
            if not keys:
                continue
            key = rng.choice(keys)
            other = rng.choice([j for j in by_column[key] if j != t] or [t])
            ocols = [c for c in dict.fromkeys(tables[other][3]) if c != key]
            extra = rng.sample(ocols, min(len(ocols), 2))
            text = (
                f"SELECT a.{key}, {', '.join('a.' + c for c in pick[:3])}"
                f"{''.join(', b.' + c for c in extra)} FROM {name(t, 0)} a JOIN {name(other, 0)} b "
                f"ON a.{key} = b.{key} WHERE a.{where} > {slot(0)} ORDER BY 1 LIMIT {slot(0)}"
            )
            qtype = "SELECT"
        elif roll < 0.91:
            text = (
                f"SELECT {pick[0]}, COUNT(*) AS n, COUNT(DISTINCT {pick[-1]}) AS d "
                f"FROM {name(t, style)} "
                f"WHERE {where} >= {slot(2)} GROUP BY {pick[0]} HAVING COUNT(*) > {slot(0)}"
            )
            qtype = "SELECT"
        elif roll < 0.955:
            target = f"{DATABASE}.reporting.rpt_{len(shapes) % 300}"
            text = (
                f"INSERT INTO {target} ({', '.join(pick[:3])}) SELECT {', '.join(pick[:3])} "
                f"FROM {name(t, 0)} WHERE {where} > {slot(2)}"
            )
            qtype = "INSERT"
        elif roll < 0.975:
            text = (
                f"CREATE OR REPLACE TABLE {DATABASE}.scratch.tmp_{tables[t][2]}_{len(shapes)} AS "
                f"SELECT {', '.join(pick)} FROM {name(t, 0)} WHERE {where} <> {slot(1)}"
            )
            qtype = "CREATE_TABLE_AS_SELECT"
        elif roll < 0.99:
            target = f"{DATABASE}.reporting.rpt_{len(shapes) % 300}"
            text = (
                f"MERGE INTO {target} t USING {name(t, 0)} s ON t.{pick[0]} = s.{pick[0]} "
                f"WHEN MATCHED THEN UPDATE SET t.{pick[-1]} = s.{pick[-1]} "
                f"WHEN NOT MATCHED THEN INSERT ({pick[0]}) VALUES (s.{pick[0]})"
            )
            qtype = "MERGE"
        else:  # ~1%: statements the parser cannot read
            text = f"SELECT {pick[0]} FROM {name(t, 0)} WHERE ((( {where} = {slot(0)}"
            qtype = "SELECT"
        if text in seen:
            continue
        seen.add(text)
        shapes.append((qtype, text, slots))
    return shapes


def generate_log(path: Path, rows: int, n_shapes: int, models: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    tables = catalog_tables(models)
    shapes = make_shapes(tables, n_shapes, rng)
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(shapes))]
    rng.shuffle(weights)
    picks = rng.choices(range(len(shapes)), weights=weights, k=rows)
    shape_users = [
        [f"USER_{rng.randrange(USERS):03d}" for _ in range(rng.randint(1, 3))] for _ in shapes
    ]
    start = END - timedelta(days=DAYS)
    seconds = DAYS * 86400
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n, s in enumerate(picks):
            qtype, text, slots = shapes[s]
            sql = text.format(*(_literal(rng, k) for k in slots)) if slots else text
            when = start + timedelta(seconds=rng.randrange(seconds))
            stamp = when.strftime("%Y-%m-%d %H:%M:%S.000 +0000")
            writer.writerow(
                [
                    f"01bf{n:012x}-0000-{s:05d}",
                    sql,
                    DATABASE.upper(),
                    "MARTS",
                    qtype,
                    rng.choice(shape_users[s]),
                    "ANALYST",
                    "BENCH_WH",
                    "SUCCESS",
                    stamp,
                    stamp,
                    rng.randint(5, 20000),
                    rng.randint(0, 5000),
                ]
            )
    tmp.rename(path)
    return {"rows": rows, "shapes": len(shapes), "bytes": path.stat().st_size}


# ----------------------------------------------------------------------------- baseline


def baseline(path: Path, sample: int) -> dict:
    """The naive way: parse every row with sqlglot (and, closer to what the pipeline needs,
    analyse every row with the lineage engine). Measured on ``sample`` rows."""
    import sqlglot

    sys.path.insert(0, str(ROOT))
    from lineage.engine import analyze

    texts = []
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for i, row in enumerate(reader):
            if i % 97 == 0:
                texts.append(row[1])
            if len(texts) >= sample:
                break
    started = time.perf_counter()
    for text in texts:
        try:  # noqa: SIM105 - plain try/except keeps the timed loop free of context-manager overhead
            sqlglot.parse_one(text, dialect="snowflake")
        except sqlglot.errors.SqlglotError:
            pass
    parse_per_row = (time.perf_counter() - started) / len(texts)
    subset = texts[: max(1, sample // 5)]
    started = time.perf_counter()
    for text in subset:
        analyze(text, dialect="snowflake", default_db=DATABASE, default_schema="marts")
    analyze_per_row = (time.perf_counter() - started) / len(subset)
    return {
        "parse_sample": len(texts),
        "parse_ms_per_row": round(parse_per_row * 1000, 3),
        "analyze_sample": len(subset),
        "analyze_ms_per_row": round(analyze_per_row * 1000, 3),
    }


# ----------------------------------------------------------------------------- main


def timed(cmd: list[str], env: dict[str, str]) -> dict:
    """Like _common.timed, plus the child's CPU seconds (its own and its worker processes'):
    on a shared machine, wall time alone says more about the neighbours than about us."""
    import shlex
    import subprocess

    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = proc.stdout.read() if proc.stdout else ""
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed: {shlex.join(cmd)}\n{output}")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "output": output,
    }


def _load() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _run_seconds(output: str) -> float | None:
    match = re.search(r"succeeded for source .*? in ([0-9.]+)s", output)
    return float(match.group(1)) if match else None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--shapes", type=int, default=10_000)
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--baseline-sample", type=int, default=3000)
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL", DEFAULT_ADMIN_URL))
    parser.add_argument("--json", type=Path, help="Also write the figures here")
    parser.add_argument("_load_catalog", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._load_catalog == "_load-catalog":
        load_catalog(args.models)
        return

    cache = BENCH / ".cache"
    cache.mkdir(exist_ok=True)
    log = cache / f"querylog-{args.rows}-{args.shapes}-{args.models}.csv"
    if log.exists():
        print(f"log: {log} (cached)")
    else:
        started = time.perf_counter()
        info = generate_log(log, args.rows, args.shapes, args.models)
        print(
            f"log: generated {info['rows']:,} rows, {info['shapes']:,} shapes, "
            f"{info['bytes'] / 1e6:,.0f} MB "
            f"in {time.perf_counter() - started:.1f}s -> {log}"
        )

    db_url = recreate_database(args.admin_url, BENCH_DB)
    env = child_env(db_url)
    python = project_python()
    timed([python, "manage.py", "migrate", "--no-input", "-v", "0"], env)
    loaded = timed(
        [python, str(Path(__file__)), "_load-catalog", "--models", str(args.models)], env
    )
    print(loaded["output"].strip(), f"(loaded in {loaded['wall_s']}s, not part of the timing)")

    command = [
        python,
        "manage.py",
        "ingest_querylog",
        str(log),
        "--source",
        "bench",
        "--format",
        "snowflake",
        "--no-progress",
        "-v",
        "2",
    ]
    load_before = _load()
    first = timed(command, env)
    load_after = _load()
    print(first["output"].strip())
    second = timed(command, env)
    print(second["output"].strip().splitlines()[0])
    base = baseline(log, args.baseline_sample)

    rows = args.rows
    figures = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.node()} {os.cpu_count()} cores",
        "rows": rows,
        "shapes": args.shapes,
        "models": args.models,
        "pipeline_wall_s": first["wall_s"],
        "pipeline_run_s": _run_seconds(first["output"]),
        "pipeline_peak_rss_mb": first["peak_rss_mb"],
        "pipeline_cpu_s": first["cpu_s"],
        "load_average_before_after": [load_before, load_after],
        "reingest_cpu_s": second["cpu_s"],
        "reingest_wall_s": second["wall_s"],
        "reingest_peak_rss_mb": second["peak_rss_mb"],
        "baseline": base,
        "baseline_parse_extrapolated_s": round(base["parse_ms_per_row"] * rows / 1000, 1),
        "baseline_analyze_extrapolated_s": round(base["analyze_ms_per_row"] * rows / 1000, 1),
    }
    print()
    print(
        f"Query-log pipeline, {rows:,} rows / {args.shapes:,} shapes / "
        f"{args.models:,}-model catalog, PostgreSQL:"
    )
    print(
        f"  full pipeline (read → fingerprint → parse → resolve → aggregate), own process: "
        f"{figures['pipeline_wall_s']} s wall (run {figures['pipeline_run_s']} s; "
        f"{first['cpu_s']} s CPU in Lexicon's processes, PostgreSQL's own not counted), "
        f"peak RSS {figures['pipeline_peak_rss_mb']} MB   "
        f"[target < 60 s, ≤ 1024 MB]"
    )
    print(
        f"  load average (1/5/15 min) before / after the run: {load_before}  |  {load_after}  "
        "(2 cores)"
    )
    print(
        f"  same file again (all deduplicated): {figures['reingest_wall_s']} s "
        f"({second['cpu_s']} s CPU), "
        f"peak RSS {figures['reingest_peak_rss_mb']} MB"
    )
    print(
        f"  naive baseline, sqlglot.parse_one on every row: {base['parse_ms_per_row']} ms/row "
        f"measured on {base['parse_sample']:,} sampled rows -> "
        f"{figures['baseline_parse_extrapolated_s']:,} s extrapolated "
        f"to {rows:,} rows (parse only: no resolve, no aggregation)"
    )
    print(
        f"  naive baseline, lineage analyze() on every row: {base['analyze_ms_per_row']} ms/row "
        f"measured on {base['analyze_sample']:,} rows -> "
        f"{figures['baseline_analyze_extrapolated_s']:,} s extrapolated"
    )
    print(
        f"  reproduce: python bench/querylog.py --rows {rows} --shapes {args.shapes} "
        f"--models {args.models}"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
