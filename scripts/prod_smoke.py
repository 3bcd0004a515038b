"""The production smoke run: README.md's production commands with ``DEBUG=false`` on
PostgreSQL + Redis, driven as an operator and a user meet them.

    .venv/bin/python scripts/prod_smoke.py [--port 8765] [--copies 60] [--keep]

1. A new database; ``collectstatic``, ``migrate``; demo users; an API token.
2. gunicorn (``gunicorn.conf.py``), a default worker, an ingest worker (solo pool), beat.
3. Signs in with Chromium and opens every main page: each answers 200, every request it
   makes answers below 400, and the console shows no error (CSP violations included).
4. Sends the example project through ``POST /api/v1/ingest/dbt/`` with the token and
   sees it succeed; sees a fresh beat heartbeat in ``/healthz``.
5. ``kill -9`` of the ingest worker during a second, larger ingest; its child processes
   must be gone with it; restarts the worker; the run must reach a final state within
   120 s with counts equal to a clean ingest of the same files.

Every process it starts is stopped by its PID at the end, whatever happens. Exit status
0 when every check passed; each check prints one line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from prodstack import ROOT, Stack, log  # noqa: E402

EXAMPLE = ROOT / "examples" / "saas_analytics" / "target"
RECOVERY_DEADLINE_S = 120
FAILURES: list[str] = []


def check(ok: bool, what: str, detail: str = "") -> bool:
    print(f"  {'PASS' if ok else 'FAIL'}  {what}{(': ' + detail) if detail else ''}", flush=True)
    if not ok:
        FAILURES.append(what)
    return ok


# --- a larger project: copies of the example, each in its own schemas --------------------
def scaled_artifacts(copies: int, out: Path) -> dict[str, int]:
    """Write manifest.json and catalog.json holding ``copies`` copies of the example's
    nodes and sources (copy 0 keeps the original ids), each copy in its own schemas so
    that compiled SQL still names relations of its own copy. Returns node counts."""
    manifest = json.loads((EXAMPLE / "manifest.json").read_text())
    catalog = json.loads((EXAMPLE / "catalog.json").read_text())
    schemas = {
        n["schema"]
        for n in [*manifest["nodes"].values(), *manifest["sources"].values()]
        if n.get("schema")
    }

    def ident(uid: str, k: int) -> str:
        return uid if k == 0 else f"{uid}_c{k}"

    def relocate(text: str | None, k: int) -> str | None:
        if not text or k == 0:
            return text
        for schema in schemas:
            text = text.replace(f'."{schema}".', f'."{schema}_c{k}".')
        return text

    nodes, sources, cat_nodes, cat_sources = {}, {}, {}, {}
    for k in range(copies):
        for table, into, cat_table, cat_into in (
            (manifest["nodes"], nodes, catalog.get("nodes", {}), cat_nodes),
            (manifest["sources"], sources, catalog.get("sources", {}), cat_sources),
        ):
            for uid, node in table.items():
                new = json.loads(json.dumps(node))
                new["unique_id"] = ident(uid, k)
                if k:
                    new["name"] = f"{node['name']}_c{k}"
                    if node.get("schema"):
                        new["schema"] = f"{node['schema']}_c{k}"
                    new["fqn"] = [*node.get("fqn", [])[:-1], new["name"]]
                    new["relation_name"] = relocate(node.get("relation_name"), k)
                    new["compiled_code"] = relocate(node.get("compiled_code"), k)
                    if node.get("alias"):
                        new["alias"] = node["alias"]
                    deps = node.get("depends_on", {}).get("nodes", [])
                    if deps:
                        new["depends_on"]["nodes"] = [ident(d, k) for d in deps]
                    if node.get("attached_node"):
                        new["attached_node"] = ident(node["attached_node"], k)
                    checksum = node.get("checksum") or {}
                    if checksum.get("checksum"):
                        new["checksum"] = {
                            **checksum,
                            "checksum": f"{checksum['checksum'][:-8]}{k:08d}",
                        }
                into[new["unique_id"]] = new
                if uid in cat_table:
                    entry = json.loads(json.dumps(cat_table[uid]))
                    entry["unique_id"] = new["unique_id"]
                    if k and entry.get("metadata", {}).get("schema"):
                        entry["metadata"]["schema"] = f"{entry['metadata']['schema']}_c{k}"
                        entry["metadata"]["name"] = new.get("alias") or new["name"]
                    cat_into[new["unique_id"]] = entry
    manifest["nodes"], manifest["sources"] = nodes, sources
    parents = {
        uid: list(n.get("depends_on", {}).get("nodes", []))
        for uid, n in {**nodes, **sources}.items()
    }
    children: dict[str, list[str]] = {uid: [] for uid in parents}
    for uid, deps in parents.items():
        for dep in deps:
            children.setdefault(dep, []).append(uid)
    manifest["parent_map"], manifest["child_map"] = parents, children
    catalog["nodes"], catalog["sources"] = cat_nodes, cat_sources
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "catalog.json").write_text(json.dumps(catalog))
    models = sum(1 for n in nodes.values() if n["resource_type"] == "model")
    return {"nodes": len(nodes), "models": models, "sources": len(sources)}


# --- API helpers (Playwright's request context: multipart uploads, JSON) ---------------
def post_ingest(api, token: str, folder: Path, project: str) -> dict:
    files = {}
    for kind in ("manifest", "catalog", "run_results", "sources"):
        path = folder / f"{kind}.json"
        if path.exists():
            files[kind] = {
                "name": path.name,
                "mimeType": "application/json",
                "buffer": path.read_bytes(),
            }
    response = api.post(
        "/api/v1/ingest/dbt/",
        multipart={**files, "project": project},
        headers={"Authorization": f"Token {token}"},
        timeout=120_000,
    )
    if response.status != 202:
        raise RuntimeError(
            f"POST /api/v1/ingest/dbt/ answered {response.status}: {response.text()[:500]}"
        )
    return response.json()


def run_status(api, token: str, run_id: int) -> dict:
    response = api.get(
        f"/api/v1/ingest/runs/{run_id}/", headers={"Authorization": f"Token {token}"}
    )
    if response.status != 200:
        raise RuntimeError(
            f"GET /api/v1/ingest/runs/{run_id}/ answered {response.status}: {response.text()[:300]}"
        )
    return response.json()


def wait_final(api, token: str, run_id: int, timeout: float) -> tuple[dict, float]:
    started = time.monotonic()
    while True:
        body = run_status(api, token, run_id)
        if body["status"] in ("succeeded", "failed"):
            return body, time.monotonic() - started
        if time.monotonic() - started > timeout:
            return body, time.monotonic() - started
        time.sleep(1)


def totals(counts: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for per_kind in (counts or {}).values():
        if isinstance(per_kind, dict):
            for key, value in per_kind.items():
                out[key] = out.get(key, 0) + int(value)
    return out


def make_token(stack: Stack, username: str) -> str:
    """The README's way for CI to get a token: ``token_create`` prints only the key."""
    return stack.manage("token_create", username, "--name", "prod-smoke").stdout.strip()


# --- the pages -------------------------------------------------------------------------
def main_pages(api, token: str) -> list[str]:
    assets = api.get(
        "/api/v1/assets/?search=fct_mrr", headers={"Authorization": f"Token {token}"}
    ).json()
    results = assets.get("results", assets if isinstance(assets, list) else [])
    asset = next(
        (a for a in results if a.get("name") == "fct_mrr"), results[0] if results else None
    )
    if asset is None:
        raise RuntimeError("no asset found through /api/v1/assets/ after the example ingest")
    metrics = api.get("/api/v1/metrics/", headers={"Authorization": f"Token {token}"}).json()
    metric_rows = metrics.get("results", metrics if isinstance(metrics, list) else [])
    pages = [
        "/",
        "/search/?q=churn",
        "/catalog/",
        f"/assets/{asset['id']}/",
        f"/lineage/assets/{asset['id']}/graph/",
        "/metrics/",
        "/metrics/inbox/",
        "/metrics/changes/",
        "/lineage/",
        "/lineage/unused/",
        "/governance/",
        "/governance/pii/",
        "/governance/scorecard/",
        "/governance/audit/",
        "/governance/policies/",
        "/ingest/",
        "/api/docs/",
    ]
    if metric_rows:
        pages.insert(6, f"/metrics/m/{metric_rows[0]['slug']}/")
    return pages


def browse_pages(
    pw, stack: Stack, username: str, password: str, pages: list[str], shots: Path
) -> None:
    browser = pw.chromium.launch(
        executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        args=[
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
        ],
    )
    try:
        context = browser.new_context(
            base_url=stack.base_url, viewport={"width": 1280, "height": 860}
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        problems: list[str] = []
        page.on(
            "console",
            lambda msg: (
                problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
            ),
        )
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on(
            "response",
            lambda r: (
                problems.append(f"{r.status} {r.request.method} {r.url}")
                if r.status >= 400
                else None
            ),
        )
        page.on(
            "requestfailed", lambda r: problems.append(f"failed {r.method} {r.url}: {r.failure}")
        )
        page.goto("/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_load_state("networkidle")
        check("/login/" not in page.url, "sign in through the login page", page.url)
        for path in pages:
            problems.clear()
            response = page.goto(path)
            try:
                page.wait_for_load_state("networkidle", timeout=20_000)
            except Exception as exc:  # a page that never settles is a finding too
                problems.append(f"never idle: {exc}")
            status = response.status if response else 0
            name = path.strip("/").replace("/", "_").replace("?", "_").replace("=", "_") or "home"
            page.screenshot(path=str(shots / f"{name}.png"))
            check(
                status == 200 and not problems,
                f"page {path}",
                f"{status}" + (f"; {'; '.join(problems[:5])}" if problems else ""),
            )
    finally:
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("SMOKE_PORT", "8765")))
    parser.add_argument(
        "--copies", type=int, default=60, help="copies of the example in the larger ingest"
    )
    parser.add_argument(
        "--workdir", default="", help="keep logs and screenshots here (default: a temp dir)"
    )
    parser.add_argument("--keep", action="store_true", help="do not delete the work directory")
    args = parser.parse_args()

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="lexicon-smoke-"))
    stack = Stack(workdir=workdir, port=args.port, db_name="lexicon_smoke", redis_db=9)
    shots = workdir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        from playwright.sync_api import sync_playwright

        stack.reset_data()
        stack.prepare()
        check(True, "collectstatic and migrate with DEBUG=false")
        stack.manage("create_demo_users", "--force")
        token = make_token(stack, "admin")
        stack.start_all()
        stack.wait_http("/login/")

        with sync_playwright() as pw:
            api = pw.request.new_context(base_url=stack.base_url)

            log("ingest of the example project through the REST API")
            body = post_ingest(api, token, EXAMPLE, "saas_analytics")
            final, seconds = wait_final(api, token, body["id"], 180)
            check(
                final["status"] == "succeeded",
                "example ingest through POST /api/v1/ingest/dbt/",
                f"run {body['id']} {final['status']} in {seconds:.1f}s "
                f"{final.get('error', '')[:300]}",
            )

            log("waiting for beat's heartbeat in /healthz")
            deadline = time.monotonic() + 100
            health: dict = {}
            code = 0
            while time.monotonic() < deadline:
                code, health = stack.get_json("/healthz")
                if code == 200 and health.get("last_heartbeat"):
                    break
                time.sleep(2)
            check(
                code == 200 and bool(health.get("last_heartbeat")),
                "fresh beat heartbeat in /healthz",
                json.dumps(health),
            )

            log("every main page in Chromium, signed in")
            browse_pages(pw, stack, "admin", "admin-demo-pass", main_pages(api, token), shots)

            log(
                "kill -9 of the ingest worker during a larger "
                f"ingest ({args.copies} copies of the example)"
            )
            big = workdir / "big"
            sizes = scaled_artifacts(args.copies, big)
            log(
                f"larger project: {sizes['models']} models, {sizes['nodes']} nodes, "
                f"{sizes['sources']} sources"
            )
            body = post_ingest(api, token, big, "smoke_large")
            run_id = body["id"]
            seen_running = False
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                state = run_status(api, token, run_id)
                if (
                    state["status"] == "running" and (state.get("progress") or 0) >= 25
                ):  # inside the write transaction
                    seen_running = True
                    break
                if state["status"] in ("succeeded", "failed"):
                    break
                time.sleep(0.2)
            check(
                seen_running,
                "the larger ingest was running when the worker was killed",
                f"status {state['status']}, phase {state.get('phase')!r}, {state.get('progress')}%",
            )
            worker = stack.services["worker-ingest"]
            stack.kill("worker-ingest")
            gone_by = time.monotonic() + 10
            while worker.group_alive() and time.monotonic() < gone_by:
                time.sleep(0.2)
            check(not worker.group_alive(), "the killed worker's child processes died with it")
            stack.services.pop("worker-ingest", None)
            killed_at = time.monotonic()
            stack.start_ingest_worker()
            final, _ = wait_final(api, token, run_id, RECOVERY_DEADLINE_S)
            recovery = time.monotonic() - killed_at
            check(
                final["status"] in ("succeeded", "failed") and recovery <= RECOVERY_DEADLINE_S,
                f"the interrupted run reached a final state within {RECOVERY_DEADLINE_S}s",
                f"{final['status']} after {recovery:.0f}s {final.get('error', '')[:300]}",
            )
            check(
                final["status"] == "succeeded",
                "the interrupted run succeeded on retry",
                final.get("error", ""),
            )

            log("a clean ingest of the same files, to compare counts")
            clean = post_ingest(api, token, big, "smoke_large_clean")
            clean_final, _ = wait_final(api, token, clean["id"], 300)
            recovered_totals, clean_totals = (
                totals(final.get("counts")),
                totals(clean_final.get("counts")),
            )
            check(
                clean_final["status"] == "succeeded"
                and recovered_totals == clean_totals
                and recovered_totals.get("added", 0) >= sizes["nodes"],
                "counts after recovery equal a clean ingest",
                f"{recovered_totals} vs {clean_totals}",
            )
            api.dispose()
    except Exception as exc:  # report, then stop every process below
        check(False, "smoke run", f"{type(exc).__name__}: {exc}")
        for service in stack.services.values():
            print(
                f"--- last lines of {service.name} ({service.log_path})\n{service.tail()}",
                flush=True,
            )
    finally:
        stack.stop_all()
        leftovers = [s.name for s in stack.services.values() if s.group_alive()]
        check(not leftovers, "every process started was stopped", ", ".join(leftovers))
        print(
            f"production smoke: {len(FAILURES)} failed in {time.monotonic() - started:.0f}s "
            f"(work dir {workdir})",
            flush=True,
        )
        if not args.keep and not args.workdir and not FAILURES:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
