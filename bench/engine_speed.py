"""Synthetic speed check for lineage.engine: dbt-style models per second on one core.

Run: .venv/bin/python bench/engine_speed.py [--models 200] [--dialect snowflake]

Each model gets a fresh schema dict holding only the tables it reads, as
``lineage.column_lineage`` builds them from the catalog.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlglot.parser  # noqa: E402

from lineage.engine import analyze  # noqa: E402

DB, SCHEMA = "analytics", "dbt_prod"


@dataclass
class Model:
    name: str
    sql: str
    depends_on: list[str]


def _staging(rng: random.Random, source: str, columns: list[str]) -> str:
    extra = ",\n        ".join([c for c in columns if c.startswith("attr_")][:12])
    key = rng.choice(["order_id", "event_id", "account_id"])
    return f"""
with source as (
    select * from {source}
),
renamed as (
    select
        id as {key},
        customer_id,
        cast(created_at as date) as created_date,
        updated_at,
        lower(trim(status)) as status,
        coalesce(amount, 0) / 100.0 as amount,
        {extra}
    from source
    where _deleted is not true
)
select * from renamed
"""


def _mart(left: str, right: str) -> str:
    return f"""
with facts as (
    select * from {left}
),
customers as (
    select customer_id, max(updated_at) as last_seen, count(*) as n_rows, sum(amount) as lifetime
    from {right}
    group by customer_id
),
joined as (
    select
        f.*,
        c.last_seen,
        c.n_rows,
        c.lifetime,
        row_number() over (partition by f.customer_id order by f.updated_at desc) as rn,
        sum(f.amount) over (partition by f.customer_id) as customer_total,
        case when f.amount > 100 then 'big' when f.amount > 10 then 'mid' else 'small' end as band
    from facts f
    left join customers c on f.customer_id = c.customer_id
),
final as (
    select
        j.*,
        datediff('day', j.last_seen, current_date) as days_since_seen,
        iff(j.lifetime > 1000, true, false) as is_vip
    from joined j
    where j.rn = 1
)
select * from final
"""


def build_project(models: int, seed: int = 7) -> tuple[dict[str, dict[str, str]], list[Model]]:
    """A catalog (sources and models) plus ``models`` compiled dbt SELECTs of about 30 lines."""
    rng = random.Random(seed)
    catalog: dict[str, dict[str, str]] = {}
    sources = []
    for i in range(max(10, models // 5)):
        name = f"raw.src.table_{i}"
        columns = {
            "id": "NUMBER",
            "customer_id": "NUMBER",
            "created_at": "TIMESTAMP_NTZ",
            "updated_at": "TIMESTAMP_NTZ",
            "status": "VARCHAR",
            "amount": "NUMBER(38,2)",
            "_deleted": "BOOLEAN",
        }
        for j in range(rng.randint(6, 30)):
            columns[f"attr_{j}"] = rng.choice(["VARCHAR", "NUMBER", "BOOLEAN", "DATE", ""])
        catalog[name] = columns
        sources.append(name)
    project: list[Model] = []
    staging: list[str] = []
    for m in range(models):
        name = f"{DB}.{SCHEMA}.model_{m}"
        if m < 2 or rng.random() < 0.4:
            source = rng.choice(sources)
            model = Model(name, _staging(rng, source, list(catalog[source])), [source])
            staging.append(name)
        else:
            left, right = rng.sample(staging, 2)
            model = Model(name, _mart(left, right), [left, right])
        project.append(model)
        # What `dbt docs generate` would put in the catalog for the model just built.
        result = analyze(
            model.sql, dialect="snowflake", schema=_schema(catalog, model), target_table=name
        )
        catalog[name] = {c.target.column: "" for c in result.columns}
    return catalog, project


def _schema(catalog: dict[str, dict[str, str]], model: Model) -> dict[str, dict[str, str]]:
    return {dep: dict(catalog[dep]) for dep in model.depends_on}


def run(models: int, dialect: str, repeat: int) -> tuple[float, float, int]:
    """Best models/second over ``repeat`` rounds by CPU time and by wall clock, and edge count.

    CPU time is the figure to compare: other processes on a shared machine inflate wall time.
    """
    catalog, project = build_project(models)
    best_cpu = best_wall = 0.0
    edges = 0
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        edges = 0
        for model in project:
            result = analyze(
                model.sql, dialect=dialect, schema=_schema(catalog, model), target_table=model.name
            )
            if result.error is not None:
                raise SystemExit(f"{model.name}: {result.error}")
            edges += sum(len(c.sources) for c in result.columns)
        best_cpu = max(best_cpu, len(project) / (time.process_time() - cpu))
        best_wall = max(best_wall, len(project) / (time.perf_counter() - wall))
    return best_cpu, best_wall, edges


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--dialect", default="snowflake")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    compiled = not sqlglot.parser.__file__.endswith(".py")  # sqlglotc ships mypyc extensions
    cpu, wall, edges = run(args.models, args.dialect, args.repeat)
    print(f"sqlglot {sqlglot.__version__}, compiled (sqlglotc) = {compiled}")
    print(
        f"{args.models} models ({edges} column edges), dialect {args.dialect}: "
        f"{cpu:.1f} models/s of CPU time, {wall:.1f} models/s wall clock (best of {args.repeat})"
    )


if __name__ == "__main__":
    main()
