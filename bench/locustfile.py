"""The traffic of ``bench/load.py``: signed-in people reading the catalog, as they do.

Run by locust inside ``bench/.venv-load`` (see ``bench/load.py``, which starts the stack
and locust with the right arguments). Each simulated user signs in through the login
form (CSRF and session cookie as a browser does), learns a few asset ids and metric
slugs, then loops over a weighted mix of pages, the htmx fragments those pages load,
and REST API reads with short think times.
"""

from __future__ import annotations

import os
import random
import re
from http.cookiejar import Cookie
from urllib.parse import urlparse

from locust import FastHttpUser, between, task

USERS = [
    u.split(":", 1) for u in os.environ.get("LOAD_USERS", "viewer:viewer-demo-pass").split(",")
]
QUERIES = [
    "churn",
    "revenue",
    "accounts",
    "mrr",
    "orders",
    "subscription",
    "active users",
    "email",
    "stg_",
    "dim",
]
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# username:session-key pairs made by bench/load.py; users beyond them sign in through the form.
SESSIONS = [s.split(":", 1) for s in os.environ.get("LOAD_SESSIONS", "").split(",") if s]
# Pages of the governance reviewer's work (others get 403 there, as they should).
REVIEWERS = {"reviewer", "admin"}
_next_session = 0


def _cookie(name: str, value: str, host: str) -> Cookie:
    domain = urlparse(host).hostname or "127.0.0.1"
    return Cookie(
        0,
        name,
        value,
        None,
        False,
        domain,
        False,
        False,
        "/",
        True,
        False,
        None,
        False,
        None,
        None,
        {},
    )


class Reader(FastHttpUser):
    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        global _next_session
        if _next_session < len(SESSIONS):
            # A session made by bench/load.py (Django's own session engine), as after a sign-in.
            self.username, key = SESSIONS[_next_session]
            self.client.cookiejar.set_cookie(_cookie("sessionid", key, self.host))
            _next_session += 1
        else:
            self._sign_in()
        self._learn_ids()

    def _sign_in(self) -> None:
        username, password = random.choice(USERS)  # noqa: S311 (load mix, not security)
        self.username = username
        page = self.client.get("/login/", name="/login/")
        token = CSRF_INPUT.search(page.text or "")
        response = self.client.post(
            "/login/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/login/"},
            name="/login/ (POST)",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"sign-in as {username} answered {response.status_code}")

    def _learn_ids(self) -> None:
        assets = self.client.get(
            "/api/v1/assets/?kind=model", name="/api/v1/assets/ (setup)"
        ).json()
        rows = assets.get("results", [])
        self.assets = [a["id"] for a in rows] or [1]
        self.models = [a["id"] for a in rows if a.get("kind") == "model"] or self.assets
        metrics = self.client.get("/api/v1/metrics/", name="/api/v1/metrics/ (setup)").json()
        self.metrics = [m["slug"] for m in metrics.get("results", [])] or []

    def _asset(self) -> int:
        return random.choice(self.assets)  # noqa: S311

    def _model(self) -> int:
        return random.choice(self.models)  # noqa: S311

    # --- pages (and the fragments a browser then loads) ---------------------------------
    @task(4)
    def home(self) -> None:
        self.client.get("/", name="/")

    @task(12)
    def search(self) -> None:
        q = random.choice(QUERIES)  # noqa: S311
        self.client.get(f"/search/?q={q}", name="/search/?q=")
        self.client.get(f"/search/suggest/?q={q[:3]}", name="/search/suggest/")

    @task(14)
    def asset_page(self) -> None:
        pk = self._model()
        self.client.get(f"/assets/{pk}/", name="/assets/{id}/")
        for url, name in (
            (f"/governance/assets/{pk}/owners/", "owners fragment"),
            (f"/governance/assets/{pk}/policy/", "policy fragment"),
            (f"/governance/assets/{pk}/description/", "description fragment"),
            (f"/metrics/assets/{pk}/deprecation-banner/", "deprecation banner fragment"),
            (f"/governance/assets/{pk}/columns-pii/", "columns PII fragment"),
        ):
            self.client.get(url, name=name)

    @task(5)
    def asset_tabs(self) -> None:
        pk = self._model()
        self.client.get(f"/lineage/assets/{pk}/panel/", name="lineage tab")
        self.client.get(f"/lineage/assets/{pk}/usage/", name="usage tab")
        self.client.get(f"/governance/assets/{pk}/history/", name="history tab")

    @task(4)
    def lineage_graph(self) -> None:
        pk = self._model()
        self.client.get(f"/lineage/assets/{pk}/graph/", name="/lineage/assets/{id}/graph/")
        self.client.get(
            f"/api/v1/lineage/{pk}/?direction=both&depth=3", name="/api/v1/lineage/{id}/"
        )

    @task(2)
    def impact(self) -> None:
        self.client.get(
            f"/lineage/assets/{self._model()}/impact/", name="/lineage/assets/{id}/impact/"
        )

    @task(4)
    def browse(self) -> None:
        self.client.get(
            random.choice(["/catalog/", "/catalog/?kind=model", "/catalog/recent/"]),  # noqa: S311
            name="/catalog/",
        )

    @task(4)
    def metrics(self) -> None:
        self.client.get("/metrics/", name="/metrics/")
        if self.metrics:
            self.client.get(f"/metrics/m/{random.choice(self.metrics)}/", name="/metrics/m/{slug}/")  # noqa: S311

    @task(2)
    def governance(self) -> None:
        pages = [
            "/governance/",
            "/governance/scorecard/",
            "/metrics/changes/",
            "/lineage/unused/",
            "/ingest/",
        ]
        if self.username in REVIEWERS:
            pages.append("/governance/pii/")
        self.client.get(random.choice(pages), name="governance pages")  # noqa: S311

    # --- REST API reads ---------------------------------------------------------------
    @task(6)
    def api(self) -> None:
        choice = random.random()  # noqa: S311
        if choice < 0.4:
            self.client.get(f"/api/v1/search/?q={random.choice(QUERIES)}", name="/api/v1/search/")  # noqa: S311
        elif choice < 0.7:
            self.client.get(f"/api/v1/assets/{self._asset()}/", name="/api/v1/assets/{id}/")
        elif choice < 0.85:
            self.client.get(f"/api/v1/usage/{self._model()}/", name="/api/v1/usage/{id}/")
        else:
            self.client.get("/api/v1/metrics/", name="/api/v1/metrics/")
