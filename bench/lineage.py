"""Lexicon's lineage: column-lineage build vs DataHub's parser, and the lineage API's latency.

    python bench/lineage.py --models 2000                      # both parts
    python bench/lineage.py --models 2000 --fresh-peer         # re-run DataHub's parser (~9 min)
    python bench/lineage.py --skip-api                         # Part A only
    python bench/lineage.py --skip-column --api-nodes 20000    # Part B only

Part A (column lineage, same compiled SQL and column types for both tools): the generated
dbt project's artifacts (bench/dbtgen.py) are ingested into a fresh PostgreSQL database
(`lexicon_bench_lineage`) and `manage.py build_column_lineage --project bench --force` is
timed in its own process (wall seconds, peak RSS via wait4). DataHub's figures come from
bench/peers/datahub_dbt.py (`sqlglot_lineage` per model, in its own venv), cached under
bench/.cache/<project>/peers/datahub/ unless --fresh-peer. Both tools' column edges are
then compared as (downstream db.schema.table.column, upstream db.schema.table.column),
lower-cased.

Part B (API latency): a synthetic layered lineage DAG of --api-nodes assets (1-4 parents
per node, a few hubs with hundreds of children) is bulk-inserted into a fresh database
(`lexicon_bench_lineage_api`), then `GET /api/v1/lineage/<id>/?direction=both&depth=3` is
timed in-process through django.test.Client (a signed-in "viewer") for 200 random assets,
hubs included, after 10 warm-ups.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _common import DEFAULT_ADMIN_URL, child_env, project_python, recreate_database, timed  # noqa: E402

COLUMN_DB = "lexicon_bench_lineage"
API_DB = "lexicon_bench_lineage_api"
TARGET_RATIO = 40.0
TARGET_P95_MS = 100.0


_python = project_python
_env = child_env


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# --- Part A: column lineage vs DataHub ----------------------------------------------------

_BUILD_LINE = re.compile(
    r"^(?P<project>\S+): (?P<ok>\d+)/(?P<with_sql>\d+) models .*?; parsed (?P<parsed>\d+), "
    r"unchanged (?P<unchanged>\d+), failed (?P<failed>\d+), without SQL (?P<no_sql>\d+); "
    r"(?P<edges>\d+) new edges in (?P<seconds>[\d.]+)s"
)


def parse_build_output(output: str) -> dict:
    for line in output.splitlines():
        m = _BUILD_LINE.match(line.strip())
        if m:
            d = m.groupdict()
            out = {k: int(v) for k, v in d.items() if k not in {"project", "seconds"}}
            out["run_s"] = float(d["seconds"])
            out["failure_lines"] = [
                x.strip() for x in output.splitlines() if x.strip().startswith("failed ")
            ]
            return out
    raise SystemExit(f"cannot read build_column_lineage's summary line:\n{output}")


def lexicon_edges(db_url: str, project: str = "bench") -> set[tuple[str, str]]:
    import psycopg

    sql = """
        SELECT lower(da.relation_key || '.' || dc.name_key),
               lower(ua.relation_key || '.' || uc.name_key)
        FROM lineage_columnedge e
        JOIN catalog_column dc ON dc.id = e.downstream_id
        JOIN catalog_asset da ON da.id = dc.asset_id
        JOIN catalog_column uc ON uc.id = e.upstream_id
        JOIN catalog_asset ua ON ua.id = uc.asset_id
        JOIN catalog_project p ON p.id = e.project_id
        WHERE p.name = %s
    """
    with psycopg.connect(db_url) as conn:
        return {(d, u) for d, u in conn.execute(sql, (project,)).fetchall()}


_PLATFORMS = (
    "duckdb",
    "snowflake",
    "bigquery",
    "postgres",
    "redshift",
    "databricks",
    "spark",
    "trino",
)


def _norm_name(name: str) -> str:
    """db.schema.table[.col] lower-cased, without quotes, a DataHub URN wrapper or a platform
    prefix."""
    name = name.strip().lower()
    m = re.match(
        r"urn:li:schemafield:\(urn:li:dataset:\(urn:li:dataplatform:[^,]+,([^,]+),[^)]*\),(.+)\)$",
        name,
    )
    if m:
        name = f"{m.group(1)}.{m.group(2)}"
    name = name.replace('"', "").replace("`", "")
    first, _, rest = name.partition(".")
    if first in _PLATFORMS and rest.count(".") >= 3:
        name = rest
    return name


def datahub_edges(path: Path) -> tuple[set[tuple[str, str]], dict]:
    data = json.loads(path.read_text())
    edges: set[tuple[str, str]] = set()
    errors = 0
    for model in data["models"].values():
        if model.get("error"):
            errors += 1
        relation = _norm_name(model.get("relation") or "")
        for column, upstreams in (model.get("columns") or {}).items():
            down = f"{relation}.{_norm_name(column)}"
            for up in upstreams:
                edges.add((down, _norm_name(up)))
    return edges, {"models": len(data["models"]), "models_with_error": errors}


def compare_edges(ours: set, theirs: set, examples: int = 10) -> dict:
    only_ours, only_theirs = sorted(ours - theirs), sorted(theirs - ours)
    rng = random.Random(7)

    def sample(rows: list) -> list[str]:
        picked = sorted(rng.sample(rows, min(examples, len(rows))))
        return [f"{down} <- {up}" for down, up in picked]

    def by_kind(rows: list, other: set) -> dict:
        # Why a difference exists, roughly: is the downstream column known to the other tool at all?
        other_down = {d for d, _ in other}
        other_down_tables = {d.rsplit(".", 1)[0] for d, _ in other}
        kinds = Counter()
        for down, _up in rows:
            if down in other_down:
                kinds["other upstream for a column both have"] += 1
            elif down.rsplit(".", 1)[0] in other_down_tables:
                kinds["column without edges in the other"] += 1
            else:
                kinds["model without edges in the other"] += 1
        return dict(kinds)

    return {
        "lexicon_edges": len(ours),
        "datahub_edges": len(theirs),
        "both": len(ours & theirs),
        "only_lexicon": len(only_ours),
        "only_datahub": len(only_theirs),
        "only_lexicon_why": by_kind(only_ours, theirs),
        "only_datahub_why": by_kind(only_theirs, ours),
        "only_lexicon_examples": sample(only_ours),
        "only_datahub_examples": sample(only_theirs),
    }


def part_a(args, artifacts: Path) -> dict:
    py = _python()
    db_url = recreate_database(args.admin_url, COLUMN_DB)
    env = _env(db_url)
    timed([py, "manage.py", "migrate", "--noinput", "-v0"], env)
    print(f"ingesting {artifacts} ...", flush=True)
    ingest = timed(
        [py, "manage.py", "ingest_dbt", str(artifacts), "--project", "bench", "--no-progress"], env
    )
    print(f"  ingest: {ingest['wall_s']}s wall, peak RSS {ingest['peak_rss_mb']} MB", flush=True)

    cmd = [py, "manage.py", "build_column_lineage", "--project", "bench", "--force"]
    if args.processes:
        cmd += ["--processes", str(args.processes)]
    print(f"timing: {shlex.join(cmd[1:])}", flush=True)
    build = timed(cmd, env)
    summary = parse_build_output(build["output"])
    print("  " + build["output"].strip().splitlines()[0], flush=True)
    runs = {
        "default": {
            "process_wall_s": build["wall_s"],
            "peak_rss_mb": build["peak_rss_mb"],
            **summary,
        }
    }
    if args.single_process_too and args.processes != 1:
        one = timed(cmd + ["--processes", "1"], env)
        one_summary = parse_build_output(one["output"])
        print("  --processes 1: " + one["output"].strip().splitlines()[0], flush=True)
        runs["one_process"] = {
            "process_wall_s": one["wall_s"],
            "peak_rss_mb": one["peak_rss_mb"],
            **one_summary,
        }

    # DataHub's parser on the same compiled SQL (cached unless --fresh-peer).
    peer_dir = artifacts.parent / "peers" / "datahub"
    summary_path = peer_dir / "sqlglot_lineage_summary.json"
    if summary_path.exists() and not args.fresh_peer:
        peer = json.loads(summary_path.read_text())
        peer_source = f"cached {summary_path}"
    else:
        from peers.datahub_dbt import time_datahub_sqlglot_lineage

        print(
            "running DataHub's sqlglot_lineage on every model (about 9 minutes for 2,000)...",
            flush=True,
        )
        peer = time_datahub_sqlglot_lineage(artifacts, peer_dir)
        peer_source = "fresh run"
    edges_path = Path(peer.get("edges_path") or peer_dir / "datahub_sqlglot_edges.json")

    results: dict = {"artifacts": str(artifacts), "ingest_wall_s": ingest["wall_s"], "lexicon": {}}
    for label, run in runs.items():
        models = run["parsed"]
        run["models_per_s_process_wall"] = round(models / run["process_wall_s"], 1)
        run["models_per_s_run"] = round(models / run["run_s"], 1) if run["run_s"] else None
        results["lexicon"][label] = run
    dh_models = peer.get("models_parsed") or peer.get("models_total")
    dh = {
        "source": peer_source,
        "datahub_version": peer.get("datahub_version"),
        "sqlglot_version": peer.get("sqlglot_version"),
        "models": dh_models,
        "models_per_s_parse": peer.get("models_per_s"),
        "total_parse_s": peer.get("total_parse_s"),
        "process_wall_s": peer.get("process_wall_s"),
        "peak_rss_mb": peer.get("peak_rss_mb"),
        "failures": peer.get("failures"),
        "failures_by_kind": peer.get("failures_by_kind"),
        "column_edges_reported": peer.get("column_edges"),
    }
    if dh_models and peer.get("process_wall_s"):
        dh["models_per_s_process_wall"] = round(dh_models / peer["process_wall_s"], 2)
    results["datahub"] = dh
    lex = results["lexicon"]["default"]
    results["ratio_process_wall"] = round(
        lex["models_per_s_process_wall"] / dh["models_per_s_process_wall"], 1
    )
    if lex["models_per_s_run"] and dh["models_per_s_parse"]:
        results["ratio_run_vs_parse"] = round(lex["models_per_s_run"] / dh["models_per_s_parse"], 1)
    if "one_process" in results["lexicon"]:
        results["ratio_one_process_wall"] = round(
            results["lexicon"]["one_process"]["models_per_s_process_wall"]
            / dh["models_per_s_process_wall"],
            1,
        )
    results["ratio_target_met"] = results["ratio_process_wall"] >= TARGET_RATIO

    ours = lexicon_edges(db_url)
    theirs, dh_meta = datahub_edges(edges_path)
    results["edges"] = {"datahub_file": str(edges_path), **dh_meta, **compare_edges(ours, theirs)}
    results["edges"]["same_edges"] = ours == theirs
    return results


def print_part_a(r: dict) -> None:
    lex, dh = r["lexicon"]["default"], r["datahub"]
    print("\n== Part A: column lineage, Lexicon vs DataHub (same compiled SQL and column types) ==")
    print(
        f"Lexicon build_column_lineage --force: {lex['parsed']} models "
        f"in {lex['process_wall_s']}s process wall "
        f"({lex['run_s']}s run), peak RSS {lex['peak_rss_mb']} MB, failures {lex['failed']}, "
        f"{lex['edges']} edges"
    )
    print(
        f"  models/s: {lex['models_per_s_process_wall']} (process wall), "
        f"{lex['models_per_s_run']} (run)"
    )
    if "one_process" in r["lexicon"]:
        one = r["lexicon"]["one_process"]
        print(
            f"  --processes 1: {one['process_wall_s']}s wall ({one['run_s']}s run) -> "
            f"{one['models_per_s_process_wall']} models/s, peak RSS {one['peak_rss_mb']} MB"
        )
    print(
        f"DataHub {dh['datahub_version']} sqlglot_lineage ({dh['source']}): {dh['models']} models, "
        f"{dh['total_parse_s']}s parse / {dh['process_wall_s']}s process wall, "
        f"peak RSS {dh['peak_rss_mb']} MB, "
        f"failures {dh['failures']}"
    )
    print(
        f"  models/s: {dh.get('models_per_s_process_wall')} (process wall), "
        f"{dh['models_per_s_parse']} (parse)"
    )
    print(
        f"ratio Lexicon/DataHub models/s: {r['ratio_process_wall']}x process wall"
        + (f", {r['ratio_run_vs_parse']}x run vs parse" if "ratio_run_vs_parse" in r else "")
        + (
            f", {r['ratio_one_process_wall']}x with one Lexicon process"
            if "ratio_one_process_wall" in r
            else ""
        )
        + f"  (target >= {TARGET_RATIO:.0f}x: {'MET' if r['ratio_target_met'] else 'MISSED'})"
    )
    e = r["edges"]
    print(
        f"\ncolumn edges: Lexicon {e['lexicon_edges']}, DataHub {e['datahub_edges']}; "
        f"both {e['both']}, "
        f"only Lexicon {e['only_lexicon']}, only DataHub {e['only_datahub']}  "
        f"(target same edges: {'MET' if e['same_edges'] else 'MISSED'})"
    )
    for side in ("lexicon", "datahub"):
        if e[f"only_{side}"]:
            print(f"  only {side.capitalize()} ({e[f'only_{side}_why']}), examples:")
            for line in e[f"only_{side}_examples"]:
                print(f"    {line}")


# --- Part B: lineage API latency ------------------------------------------------------------


def synthetic_dag(
    n: int, seed: int = 42, layers: int = 12, hubs: int = 12
) -> tuple[list[int], set, list[int]]:
    """Layered DAG: layer of each node, edges (upstream, downstream) as node indexes, hub indexes.

    Layer 0 (15%) are sources; every other node has 1-4 parents from the three layers above
    it (mostly the one right above); ``hubs`` nodes of the first layers (think
    stg_customers, dim_date) get 150-600 extra children each.
    """
    rng = random.Random(seed)
    first = max(1, int(n * 0.15))
    rest = n - first
    layer_of = [0] * first
    for i in range(rest):
        layer_of.append(1 + i * (layers - 1) // max(1, rest))
    by_layer: dict[int, list[int]] = {}
    for node, layer in enumerate(layer_of):
        by_layer.setdefault(layer, []).append(node)
    edges: set[tuple[int, int]] = set()
    for node, layer in enumerate(layer_of):
        if layer == 0:
            continue
        for _ in range(rng.choices((1, 2, 3, 4), weights=(35, 35, 20, 10))[0]):
            parent_layer = max(0, layer - rng.choices((1, 2, 3), weights=(70, 20, 10))[0])
            edges.add((rng.choice(by_layer[parent_layer]), node))
    hub_nodes = rng.sample([x for x in range(n) if layer_of[x] <= 2], hubs)
    for hub in hub_nodes:
        later = [x for x in range(n) if layer_of[x] > layer_of[hub]]
        for child in rng.sample(later, min(len(later), rng.randint(150, 600))):
            edges.add((hub, child))
    return layer_of, edges, hub_nodes


def part_b(args) -> dict:
    py = _python()
    db_url = recreate_database(args.admin_url, API_DB)
    env = _env(db_url)
    timed([py, "manage.py", "migrate", "--noinput", "-v0"], env)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection, reset_queries
    from django.test import Client

    from catalog.models import Asset, Project
    from lineage.models import AssetEdge

    layer_of, edges, hubs = synthetic_dag(args.api_nodes)
    t0 = time.perf_counter()
    project = Project.objects.create(name="api-bench", dialect="duckdb")
    assets = Asset.objects.bulk_create(
        [
            Asset(
                project=project,
                unique_id=f"{'source' if layer == 0 else 'model'}.api_bench.n{i}",
                kind="source" if layer == 0 else "model",
                name=f"n{i}",
                database="bench",
                schema=f"layer_{layer}",
                identifier=f"n{i}",
                relation_key=f"bench.layer_{layer}.n{i}",
                depends_on=[],
            )
            for i, layer in enumerate(layer_of)
        ],
        batch_size=5000,
    )
    ids = [a.pk for a in assets]
    AssetEdge.objects.bulk_create(
        [
            AssetEdge(project=project, upstream_id=ids[u], downstream_id=ids[d], origin="dbt")
            for u, d in edges
        ],
        batch_size=10000,
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    build_s = time.perf_counter() - t0
    children = Counter(u for u, _ in edges)
    parents = Counter(d for _, d in edges)
    print(
        f"\nsynthetic graph: {len(ids)} assets, {len(edges)} edges, {len(hubs)} hubs "
        f"({min(children[h] for h in hubs)}-{max(children[h] for h in hubs)} children), "
        f"max parents {max(parents.values())}; inserted in {build_s:.1f}s",
        flush=True,
    )

    user = get_user_model().objects.create_user("bench-viewer", password=None)
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    rng = random.Random(1)
    sample = [ids[h] for h in hubs] + rng.sample(
        [i for i in ids if i not in set(ids[h] for h in hubs)], args.api_requests - len(hubs)
    )
    rng.shuffle(sample)
    warm = rng.sample(ids, 10)

    def call(asset_id: int) -> tuple[float, dict, int]:
        reset_queries()
        started = time.perf_counter()
        response = client.get(f"/api/v1/lineage/{asset_id}/?direction=both&depth=3")
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(
                f"GET lineage/{asset_id}: HTTP {response.status_code}: {response.content[:300]!r}"
            )
        return elapsed, response.json(), len(connection.queries)

    for asset_id in warm:
        call(asset_id)
    hub_ids = {ids[h] for h in hubs}
    rows = []
    for asset_id in sample:
        ms, body, queries = call(asset_id)
        rows.append(
            {
                "id": asset_id,
                "ms": ms,
                "nodes": len(body["nodes"]),
                "edges": len(body["edges"]),
                "truncated": body["truncated"],
                "queries": queries,
                "hub": asset_id in hub_ids,
            }
        )
    lat = [r["ms"] for r in rows]
    slowest = sorted(rows, key=lambda r: -r["ms"])[:5]
    result = {
        "assets": len(ids),
        "edges": len(edges),
        "hubs": len(hubs),
        "requests": len(rows),
        "warmups": len(warm),
        "p50_ms": round(statistics.median(lat), 1),
        "p95_ms": round(_pct(lat, 0.95), 1),
        "max_ms": round(max(lat), 1),
        "mean_ms": round(statistics.fmean(lat), 1),
        "mean_nodes": round(statistics.fmean(r["nodes"] for r in rows), 1),
        "max_nodes": max(r["nodes"] for r in rows),
        "mean_edges": round(statistics.fmean(r["edges"] for r in rows), 1),
        "truncated": sum(r["truncated"] for r in rows),
        "queries_per_request": round(statistics.fmean(r["queries"] for r in rows), 1),
        "hub_p50_ms": round(statistics.median([r["ms"] for r in rows if r["hub"]]), 1),
        "slowest": [
            {k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()} for r in slowest
        ],
    }
    result["p95_target_met"] = result["p95_ms"] < TARGET_P95_MS
    return result


def print_part_b(r: dict) -> None:
    print(
        "\n== Part B: GET /api/v1/lineage/<id>/?direction=both&depth=3 "
        "(django.test.Client, in-process) =="
    )
    print(
        f"graph: {r['assets']} assets, {r['edges']} edges, {r['hubs']} hubs; "
        f"{r['requests']} requests "
        f"after {r['warmups']} warm-ups"
    )
    print(
        f"latency ms: p50 {r['p50_ms']}, p95 {r['p95_ms']}, max {r['max_ms']}, mean {r['mean_ms']} "
        f"(hubs p50 {r['hub_p50_ms']})  (target p95 < {TARGET_P95_MS:.0f} ms: "
        f"{'MET' if r['p95_target_met'] else 'MISSED'})"
    )
    print(
        f"nodes returned: mean {r['mean_nodes']}, max {r['max_nodes']}; "
        f"mean edges {r['mean_edges']}; "
        f"truncated {r['truncated']}; SQL queries per request {r['queries_per_request']}"
    )
    print(
        "slowest: "
        + "; ".join(
            f"#{s['id']} {s['ms']} ms, {s['nodes']} nodes{' (hub)' if s['hub'] else ''}"
            for s in r["slowest"]
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--models", type=int, default=2000, help="generated project size (bench/dbtgen.py)"
    )
    parser.add_argument(
        "--fresh-peer", action="store_true", help="re-run DataHub's sqlglot_lineage (not the cache)"
    )
    parser.add_argument(
        "--api-nodes", type=int, default=20000, help="assets in the synthetic lineage graph"
    )
    parser.add_argument(
        "--api-requests", type=int, default=200, help="timed API requests (hubs included)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="build_column_lineage --processes (default: all)",
    )
    parser.add_argument(
        "--single-process-too",
        action="store_true",
        help="also time build_column_lineage --processes 1",
    )
    parser.add_argument(
        "--skip-column", action="store_true", help="skip Part A (column lineage vs DataHub)"
    )
    parser.add_argument("--skip-api", action="store_true", help="skip Part B (API latency)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_ADMIN_URL", DEFAULT_ADMIN_URL),
        help="PostgreSQL URL with rights to create the benchmark databases",
    )
    args = parser.parse_args(argv)

    results: dict = {}
    if not args.skip_column:
        import dbtgen

        artifacts = dbtgen.ensure_artifacts(args.models)
        results["column_lineage"] = part_a(args, artifacts)
    if not args.skip_api:
        results["api"] = part_b(args)
    if "column_lineage" in results:
        print_part_a(results["column_lineage"])
    if "api" in results:
        print_part_b(results["api"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    print("\n" + json.dumps(results, indent=2, default=str))
    argv_text = " ".join(sys.argv[1:]) if argv is None else " ".join(argv)
    print(f"\nreproduce: /work/main/.venv/bin/python bench/lineage.py {argv_text}".rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
