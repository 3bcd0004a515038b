"""Time DataHub's SQL column-lineage parser on every compiled dbt model.

Runs INSIDE bench/.venv-datahub (it imports `datahub`); started as a subprocess by
bench/peers/datahub_dbt.py::time_datahub_sqlglot_lineage.

    python _datahub_sqlglot_lineage.py TARGET_DIR EDGES_JSON

Mirrors what DataHub's dbt source does per model (datahub.ingestion.source.dbt.
dbt_common._parse_cll): parse_statements_and_pick -> detach_ctes ->
sqlglot_lineage(override_dialect=adapter), with a SchemaResolver filled from
catalog.json column types for every model, seed, snapshot and source. Prints a
JSON summary on stdout; writes the edges it found to EDGES_JSON.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path


def _table_name(urn: str) -> str:
    # urn:li:dataset:(urn:li:dataPlatform:duckdb,db.schema.table,PROD)
    inner = urn[urn.index("(") + 1 : urn.rindex(")")]
    parts = inner.split(",")
    return ",".join(parts[1:-1])


def main(target_dir: str, edges_path: str) -> int:
    t_import = time.perf_counter()
    import datahub  # noqa: PLC0415
    import sqlglot  # noqa: PLC0415
    from datahub.emitter.mce_builder import make_dataset_urn  # noqa: PLC0415
    from datahub.sql_parsing.schema_resolver import SchemaResolver  # noqa: PLC0415
    from datahub.sql_parsing.sqlglot_lineage import sqlglot_lineage  # noqa: PLC0415
    from datahub.sql_parsing.sqlglot_utils import detach_ctes, parse_statements_and_pick  # noqa: PLC0415

    import_s = time.perf_counter() - t_import

    target = Path(target_dir)
    t_load = time.perf_counter()
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    load_s = time.perf_counter() - t_load

    adapter = manifest["metadata"].get("adapter_type") or "duckdb"
    t_res = time.perf_counter()
    resolver = SchemaResolver(platform=adapter, env="PROD")
    n_schemas = 0
    for section in ("nodes", "sources"):
        for entry in catalog.get(section, {}).values():
            md = entry["metadata"]
            name = f"{md.get('database')}.{md['schema']}.{md['name']}".lower()
            cols = {
                c["name"]: c["type"]
                for c in sorted(entry["columns"].values(), key=lambda c: c["index"])
            }
            resolver.add_raw_schema_info(make_dataset_urn(adapter, name), cols)
            n_schemas += 1
    resolver_s = time.perf_counter() - t_res

    models = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n.get("language", "sql") == "sql"
    ]
    models.sort(key=lambda n: n["unique_id"])
    per_model = []
    failures = []
    edges: dict[str, dict] = {}
    skipped_no_sql = []
    total = 0.0
    for node in models:
        sql = node.get("compiled_code")
        if not sql:
            skipped_no_sql.append(node["unique_id"])
            continue
        t0 = time.perf_counter()
        err_kind = err = None
        try:
            stmt = parse_statements_and_pick(sql, platform=adapter)
            pre = detach_ctes(stmt, platform=adapter, cte_mapping={})
            res = sqlglot_lineage(
                pre,
                schema_resolver=resolver,
                default_db=node.get("database"),
                default_schema=node.get("schema"),
                override_dialect=adapter,
            )
        except Exception as e:  # parse failures before sqlglot_lineage
            res = None
            err_kind, err = "parse", f"{type(e).__name__}: {e}"
        dt = time.perf_counter() - t0
        total += dt
        per_model.append(dt)
        cols: dict[str, list] = {}
        in_tables: list = []
        if res is not None:
            dbg = res.debug_info
            if dbg.table_error:
                err_kind, err = "table", f"{type(dbg.table_error).__name__}: {dbg.table_error}"
            elif dbg.column_error:
                err_kind, err = "column", f"{type(dbg.column_error).__name__}: {dbg.column_error}"
            in_tables = sorted(_table_name(u) for u in res.in_tables)
            for cl in res.column_lineage or []:
                ups = sorted({f"{_table_name(u.table)}.{u.column}" for u in cl.upstreams})
                cols.setdefault(cl.downstream.column, [])
                cols[cl.downstream.column] = sorted(set(cols[cl.downstream.column]) | set(ups))
        if err_kind:
            failures.append({"model": node["unique_id"], "kind": err_kind, "reason": err[:500]})
        relation = (
            f"{node.get('database')}.{node['schema']}.{node.get('alias') or node['name']}".lower()
        )
        edges[node["unique_id"]] = {
            "relation": relation,
            "in_tables": in_tables,
            "columns": cols,
            "error": err_kind,
        }

    per_model.sort()
    n = len(per_model)

    def pct(p):
        return round(per_model[min(n - 1, int(p * n))] * 1000, 2) if n else None

    reasons = Counter(f"{f['kind']}: {f['reason'][:120]}" for f in failures)
    n_edges = sum(len(v) for e in edges.values() for v in e["columns"].values())
    n_cols = sum(len(e["columns"]) for e in edges.values())
    out = {
        "tool": "datahub.sql_parsing.sqlglot_lineage",
        "datahub_version": getattr(datahub, "__version__", None),
        "sqlglot_version": sqlglot.__version__,
        "dialect": adapter,
        "models_total": len(models),
        "models_parsed": n,
        "models_skipped_no_compiled_sql": len(skipped_no_sql),
        "total_parse_s": round(total, 3),
        "models_per_s": round(n / total, 2) if total else None,
        "per_model_ms": {
            "p50": pct(0.5),
            "p95": pct(0.95),
            "max": round(per_model[-1] * 1000, 2) if n else None,
        },
        "setup": {
            "import_s": round(import_s, 2),
            "load_json_s": round(load_s, 2),
            "schema_resolver_s": round(resolver_s, 2),
            "schemas_loaded": n_schemas,
        },
        "failures": len(failures),
        "failures_by_kind": dict(Counter(f["kind"] for f in failures)),
        "failure_reasons_top": reasons.most_common(15),
        "failure_list": failures,
        "models_with_column_lineage": sum(1 for e in edges.values() if e["columns"]),
        "downstream_columns": n_cols,
        "column_edges": n_edges,
        "edges_path": str(edges_path),
    }
    Path(edges_path).parent.mkdir(parents=True, exist_ok=True)
    Path(edges_path).write_text(
        json.dumps(
            {
                "format": "downstream model -> column -> [upstream db.schema.table.column]",
                "tool": out["tool"],
                "datahub_version": out["datahub_version"],
                "models": edges,
            },
            indent=1,
            sort_keys=True,
        )
    )
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
