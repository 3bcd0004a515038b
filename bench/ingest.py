"""Time Lexicon's dbt ingest into PostgreSQL on real dbt artifacts of N generated models.

    python bench/ingest.py --models 5000          # full ingest + re-ingest, peak RSS
    python bench/ingest.py --models 2000 --peer   # ... and DataHub's dbt source on the same files
    python bench/ingest.py --artifacts examples/saas_analytics/target

Each measured step runs `manage.py ingest_dbt` in its own process against a fresh
database (`lexicon_bench`, dropped and re-created), so its wall time and peak RSS are
that ingest's alone (Django start-up included; the run's own duration is printed too).
Artifacts come from bench/dbtgen.py (real `dbt build` + `dbt docs generate` with
dbt-duckdb), cached under bench/.cache/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _common import DEFAULT_ADMIN_URL, child_env, project_python, recreate_database, timed  # noqa: E402

BENCH_DB = "lexicon_bench"


def run_duration(output: str) -> float | None:
    # "Ingest run #1 succeeded for project 'x' in 12.34s: ..."
    marker = " in "
    for line in output.splitlines():
        if line.startswith("Ingest run #") and marker in line:
            try:
                return float(line.split(marker, 1)[1].split("s:", 1)[0])
            except ValueError:
                return None
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--models", type=int, default=2000, help="generated project size (bench/dbtgen.py)"
    )
    parser.add_argument(
        "--artifacts", type=Path, help="use this target/ directory instead of a generated project"
    )
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_ADMIN_URL", DEFAULT_ADMIN_URL),
        help="PostgreSQL URL with rights to create the benchmark database",
    )
    parser.add_argument(
        "--peer", action="store_true", help="also time DataHub's dbt source on the same artifacts"
    )
    parser.add_argument(
        "--no-column-lineage", action="store_true", help="skip timing column lineage"
    )
    args = parser.parse_args(argv)

    if args.artifacts:
        artifacts = args.artifacts.resolve()
        label = str(args.artifacts)
    else:
        import dbtgen

        artifacts = dbtgen.ensure_artifacts(args.models)
        label = f"{args.models} generated models"
    sizes = {p.name: p.stat().st_size for p in artifacts.glob("*.json")}
    import msgspec

    class _Head(msgspec.Struct):
        metadata: dict = {}

    manifest_meta = msgspec.structs.asdict(
        msgspec.json.decode((artifacts / "manifest.json").read_bytes(), type=_Head)
    )
    print(f"artifacts: {artifacts} ({label})")
    print("  " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(sizes.items())))

    db_url = recreate_database(args.admin_url, BENCH_DB)
    env = child_env(db_url)
    py = project_python()
    timed([py, "manage.py", "migrate", "--noinput", "-v0"], env)
    cmd = [py, "manage.py", "ingest_dbt", str(artifacts), "--project", "bench", "--no-progress"]
    first = timed(cmd, env)
    second = timed(cmd, env)
    results = {
        "artifacts": label,
        "dbt_version": manifest_meta.get("metadata", {}).get("dbt_version"),
        "full_ingest": {
            "process_wall_s": first["wall_s"],
            "run_s": run_duration(first["output"]),
            "peak_rss_mb": first["peak_rss_mb"],
        },
        "reingest_unchanged": {
            "process_wall_s": second["wall_s"],
            "run_s": run_duration(second["output"]),
            "peak_rss_mb": second["peak_rss_mb"],
        },
    }
    print(
        "\nfull ingest:\n" + "\n".join("  " + line for line in first["output"].strip().splitlines())
    )
    print(
        "re-ingest:\n"
        + "\n".join("  " + line for line in second["output"].strip().splitlines()[:1])
    )
    if not args.no_column_lineage:
        lineage = timed([py, "manage.py", "build_column_lineage", "--project", "bench"], env)
        first_line = lineage["output"].strip().splitlines()[0] if lineage["output"].strip() else ""
        results["column_lineage_all_models"] = {
            "process_wall_s": lineage["wall_s"],
            "peak_rss_mb": lineage["peak_rss_mb"],
            "summary": first_line,
        }
        print(
            "column lineage:\n"
            + "\n".join("  " + line for line in lineage["output"].strip().splitlines()[:12])
        )
        results["ingest_plus_column_lineage_wall_s"] = round(first["wall_s"] + lineage["wall_s"], 2)
    if results["full_ingest"]["run_s"]:
        share = (results["reingest_unchanged"]["run_s"] or 0) / results["full_ingest"]["run_s"]
        results["reingest_share_of_full"] = round(share, 3)

    if args.peer:
        from peers.datahub_dbt import run_datahub_dbt

        workdir = BENCH / ".cache" / "datahub-run"
        workdir.mkdir(parents=True, exist_ok=True)
        print("\nDataHub dbt source on the same artifacts (this takes a while)...")
        peer = run_datahub_dbt(artifacts, workdir)
        results["datahub_dbt"] = peer
        ours = (
            results.get("ingest_plus_column_lineage_wall_s")
            or results["full_ingest"]["process_wall_s"]
        )
        if peer.get("wall_s") and ours:
            results["speedup_vs_datahub"] = round(peer["wall_s"] / ours, 1)

    print("\n" + json.dumps(results, indent=2, default=str))
    argv_text = " ".join(sys.argv[1:]) if argv is None else " ".join(argv)
    print(f"\nreproduce: python bench/ingest.py {argv_text}".rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
