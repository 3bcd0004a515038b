"""Column lineage over the public corpus and the example project: share of models with
column lineage, and every failure with its reason.

    python bench/corpus_lineage.py [--corpus ../shared/corpus] [--failures 50]

Every corpus manifest that carries compiled SQL and sits beside a catalog.json is
ingested (with that catalog) into a throw-away SQLite database, then column lineage is
built for it with the catalog's column types, as after a real ingest.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _has_compiled_sql(manifest: Path) -> bool:
    data = json.loads(manifest.read_text())
    return any(
        n.get("resource_type") == "model" and (n.get("compiled_code") or n.get("compiled_sql"))
        for n in data.get("nodes", {}).values()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--failures", type=int, default=50, help="failures to print per project")
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="lexicon-corpus-")
    os.environ.update(
        {
            "DATABASE_URL": f"sqlite:///{workdir}/corpus.sqlite3",
            "DEBUG": "true",
            "LOG_LEVEL": "ERROR",
            "LEXICON_COLUMN_LINEAGE_AFTER_INGEST": "false",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    from catalog.services import ingest_run_create_from_paths, ingest_run_execute
    from lineage.column_lineage import column_lineage_build
    from lineage.models import ModelParse

    call_command("migrate", verbosity=0)
    cases: list[tuple[str, list[Path]]] = [
        ("example/saas_analytics", [ROOT / "examples" / "saas_analytics" / "target"])
    ]
    os.environ["LEXICON_CORPUS"] = str(args.corpus)
    sys.path.insert(0, str(ROOT / "tests"))
    from tests.corpus import CORPUS_ROOT, corpus_cases

    if args.corpus.resolve() != CORPUS_ROOT.resolve():
        print(f"note: reading the corpus from {CORPUS_ROOT}")
    for case in corpus_cases():
        if "catalog" in case.companions and _has_compiled_sql(case.manifest):
            cases.append((case.id, [case.manifest, case.companions["catalog"]]))

    totals = {"models": 0, "ok": 0, "failed": 0, "no_sql": 0, "with_edges": 0}
    print(
        f"{'project':<62} {'models':>6} {'with SQL':>8} {'parsed':>7} {'share':>7} "
        f"{'>=1 edge':>8} {'edges':>7}"
    )
    started = time.perf_counter()
    for name, paths in cases:
        run = ingest_run_execute(
            run_id=ingest_run_create_from_paths(paths=paths, project_name=name).pk
        )
        if run.status != "succeeded":
            print(f"{name:<60} ingest failed: {run.error}")
            continue
        summary = column_lineage_build(project=run.project, run=run)
        with_sql = summary.models - summary.no_sql
        ok = with_sql - summary.failed
        share = 100.0 * ok / with_sql if with_sql else 0.0
        with_edges = ModelParse.objects.filter(asset__project=run.project, edges__gt=0).count()
        print(
            f"{name:<62} {summary.models:>6} {with_sql:>8} {ok:>7} {share:>6.1f}% "
            f"{with_edges:>8} {summary.edges:>7}"
        )
        for failure in summary.failures[: args.failures]:
            print(f"    failed {failure['model']}: {failure['error']}")
        totals["models"] += summary.models
        totals["ok"] += ok
        totals["failed"] += summary.failed
        totals["no_sql"] += summary.no_sql
        totals["with_edges"] += with_edges
    with_sql = totals["models"] - totals["no_sql"]
    print(
        f"\n{len(cases)} projects, {totals['models']} models, {with_sql} with compiled SQL: "
        f"{totals['ok']} parsed ({100.0 * totals['ok'] / max(1, with_sql):.1f}%), "
        f"{totals['with_edges']} with at least one column edge to a cataloged column "
        f"({100.0 * totals['with_edges'] / max(1, with_sql):.1f}%), {totals['failed']} failed; "
        f"{time.perf_counter() - started:.1f}s"
    )
    print("reproduce: python bench/corpus_lineage.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
