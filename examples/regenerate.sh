#!/usr/bin/env bash
# Rebuild the saas_analytics example dbt project from scratch and refresh the committed artifacts:
#
#   saas_analytics/target/{manifest,catalog,run_results,sources,semantic_manifest}.json
#   demo_querylog/snowflake_query_history.{csv,jsonl}
#
# Steps: venv (pinned dbt) -> synthetic raw data -> dbt seed -> dbt build -> dbt source freshness
#        -> dbt docs generate -> restore the build's run_results.json -> demo query log.
#
# Env knobs:
#   PYTHON=/path/to/python3   interpreter for the venv (default: pyenv 3.12.1, else python3 >= 3.11)
#   KEEP_DB=1                 keep the existing DuckDB file (exercises the incremental path of fct_mrr);
#                             default is a fresh database so the artifacts are reproducible
#   SKIP_QUERYLOG=1           do not regenerate demo_querylog/
set -euo pipefail

EXAMPLES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_DIR="$EXAMPLES_DIR/saas_analytics"
VENV="$EXAMPLES_DIR/.venv-dbt"
REQS="$EXAMPLES_DIR/requirements-dbt.txt"
START_TS=$(date +%s)

export DBT_SEND_ANONYMOUS_USAGE_STATS=False
export DBT_VERSION_CHECK=False
export DBT_PROFILES_DIR="$PROJECT_DIR"
export DBT_PROJECT_DIR="$PROJECT_DIR"
export DBT_USE_COLORS=False
# the DuckDB file must be named saas.duckdb: its stem is the database name in every relation
export SAAS_DUCKDB_PATH="$PROJECT_DIR/.duckdb/saas.duckdb"

log() { printf '\n==> %s\n' "$*"; }

# ------------------------------------------------------------------ python + venv
pick_python() {
    if [[ -n "${PYTHON:-}" ]]; then echo "$PYTHON"; return; fi
    if [[ -x /root/.pyenv/versions/3.12.1/bin/python3.12 ]]; then
        echo /root/.pyenv/versions/3.12.1/bin/python3.12; return
    fi
    for cand in python3.13 python3.12 python3.11 python3; do
        if command -v "$cand" >/dev/null 2>&1 &&
            "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
            command -v "$cand"; return
        fi
    done
    echo "error: need python >= 3.11 (set PYTHON=...)" >&2
    exit 1
}

REQS_HASH=$(sha256sum "$REQS" | cut -d' ' -f1)
if [[ ! -x "$VENV/bin/dbt" || "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$REQS_HASH" ]]; then
    PY=$(pick_python)
    log "creating $VENV with $PY"
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"
    echo "$REQS_HASH" >"$VENV/.requirements.sha256"
else
    log "reusing $VENV"
fi
DBT="$VENV/bin/dbt"
"$DBT" --version | sed -n '1,2p;/Plugins/,+1p'

cd "$PROJECT_DIR"

# ------------------------------------------------------------------ clean state
if [[ "${KEEP_DB:-0}" != "1" ]]; then
    rm -rf .duckdb
fi
rm -rf target logs
mkdir -p .duckdb

# ------------------------------------------------------------------ raw data
log "making synthetic raw data"
"$VENV/bin/python" scripts/make_raw_data.py --db "$SAAS_DUCKDB_PATH"

if [[ -f packages.yml || -f dependencies.yml ]]; then
    log "dbt deps"
    "$DBT" deps
fi

# ------------------------------------------------------------------ dbt
log "dbt seed"
"$DBT" seed

log "dbt build"
"$DBT" build   # a warn-severity test warns on purpose; warnings keep exit code 0

BUILD_RESULTS=$(mktemp)
trap 'rm -f "$BUILD_RESULTS"' EXIT
cp target/run_results.json "$BUILD_RESULTS"

log "dbt source freshness"
set +e
"$DBT" source freshness   # support.support_tickets is stale on purpose (warn)
FRESHNESS_RC=$?
set -e
if [[ $FRESHNESS_RC -gt 1 ]]; then
    echo "dbt source freshness crashed (exit $FRESHNESS_RC)" >&2
    exit "$FRESHNESS_RC"
fi
echo "dbt source freshness exit code: $FRESHNESS_RC (1 only means a source errored on freshness)"

log "dbt docs generate"
"$DBT" docs generate

# docs generate writes its own run_results.json: keep the one from `dbt build`
cp "$BUILD_RESULTS" target/run_results.json

# ------------------------------------------------------------------ demo query log
if [[ "${SKIP_QUERYLOG:-0}" != "1" ]]; then
    log "demo query log"
    "$VENV/bin/python" "$EXAMPLES_DIR/make_demo_querylog.py"
fi

# ------------------------------------------------------------------ summary
log "artifacts"
status=0
for f in manifest.json catalog.json run_results.json sources.json semantic_manifest.json; do
    if [[ -s "target/$f" ]]; then
        printf '  %-60s %8s bytes\n' "saas_analytics/target/$f" "$(stat -c %s "target/$f")"
    else
        echo "  MISSING: saas_analytics/target/$f" >&2
        status=1
    fi
done
if [[ "${SKIP_QUERYLOG:-0}" != "1" ]]; then
    for f in "$EXAMPLES_DIR"/demo_querylog/snowflake_query_history.{csv,jsonl}; do
        printf '  %-60s %8s bytes\n' "${f#"$EXAMPLES_DIR"/}" "$(stat -c %s "$f")"
    done
fi
echo "done in $(($(date +%s) - START_TS))s"
exit $status
