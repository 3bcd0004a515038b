#!/usr/bin/env python3
"""Create the deterministic synthetic raw tables of the saas_analytics example.

Writes schema ``raw`` of the DuckDB file ``.duckdb/saas.duckdb`` (relative to the
dbt project directory, i.e. the parent of this script's folder):

    raw.accounts, raw.app_users, raw.subscriptions, raw.invoices,
    raw.product_events, raw.support_tickets

Every business value (ids, names, amounts, timestamps) is derived from a fixed
random seed and a fixed anchor date (2026-11-20), so the models build the same
rows every time.  The only exception is the ``_loaded_at`` audit column: it is
set relative to *now* so that ``dbt source freshness`` passes for most sources
while ``support_tickets`` is a few days stale and warns.

Usage:  python make_raw_data.py [--db PATH]
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import tempfile
import json
import random
from pathlib import Path

import duckdb

SEED = 20261120
ANCHOR = dt.datetime(2026, 11, 20, 0, 0, 0)  # "today" of the synthetic business
PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_DIR / ".duckdb" / "saas.duckdb"

# plan_id -> monthly price in cents; keep in sync with seeds/plans.csv
PLAN_PRICES = {1: 0, 2: 2900, 3: 9900, 4: 29900, 5: 99900}

INDUSTRIES = ["software", "fintech", "healthcare", "retail", "education", "media",
              "logistics", "manufacturing", "nonprofit", "real_estate"]
COUNTRIES = ["US", "US", "US", "GB", "DE", "FR", "CA", "NL", "AU", "BR", "IN", "SE", "ES", "JP"]
NAME_A = ["Acme", "Blue", "Bright", "Cedar", "Delta", "Echo", "Falcon", "Granite", "Harbor",
          "Iron", "Juniper", "Kite", "Lumen", "Maple", "Nimbus", "Orbit", "Pine", "Quartz",
          "River", "Summit", "Tidal", "Umber", "Vertex", "Willow", "Zephyr"]
NAME_B = ["Analytics", "Labs", "Systems", "Works", "Health", "Logistics", "Foods", "Media",
          "Partners", "Capital", "Robotics", "Studio", "Networks", "Goods", "Bio"]
SUFFIX = ["Inc", "LLC", "Ltd", "GmbH", "Co", "SA", "BV", "AB"]
FIRST = ["Alice", "Bob", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal",
         "Kofi", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara",
         "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe"]
LAST = ["Anders", "Brown", "Chen", "Diaz", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
        "Jensen", "Kowalski", "Lopez", "Müller", "Nakamura", "Okafor", "Patel", "Quispe",
        "Rossi", "Smith", "Tanaka", "Usman", "Varga", "Wang", "Xu", "Young", "Zimmer"]
EVENTS = [("login", 40), ("dashboard_viewed", 30), ("report_exported", 8), ("invite_sent", 5),
          ("integration_connected", 3), ("query_run", 25), ("alert_created", 4)]
TICKET_SUBJECTS = [
    ("Cannot log in after password reset", "login"),
    ("Invoice shows the wrong amount", "billing"),
    ("Export to CSV times out", "performance"),
    ("How do I add a teammate?", "how_to"),
    ("Dashboard is blank since this morning", "bug"),
    ("Please cancel our subscription", "billing"),
    ("SSO setup with Okta", "how_to"),
    ("API returns 500 on /v2/reports", "bug"),
    ("Request: dark mode", "feature_request"),
    ("Charged twice this month", "billing"),
]


def ts(d: dt.datetime | None) -> str | None:
    return None if d is None else d.strftime("%Y-%m-%d %H:%M:%S")


def month_start(d: dt.datetime) -> dt.datetime:
    return dt.datetime(d.year, d.month, 1)


def add_months(d: dt.datetime, n: int) -> dt.datetime:
    y, m = divmod(d.month - 1 + n, 12)
    return d.replace(year=d.year + y, month=m + 1, day=min(d.day, 28))


def slug(s: str) -> str:
    return "".join(ch for ch in s.lower().replace("ü", "u") if ch.isalnum())


def build(now: dt.datetime) -> dict[str, tuple[list[str], list[tuple]]]:
    rng = random.Random(SEED)
    tables: dict[str, tuple[list[str], list[tuple]]] = {}

    def loaded(max_minutes: int = 90, stale_hours: float = 0.0) -> str:
        # audit column relative to *now*: uses its own RNG so business data stays fixed
        return ts(now - dt.timedelta(hours=stale_hours, minutes=loaded_rng.randint(1, max_minutes)))

    loaded_rng = random.Random(SEED + 1)

    # ---------------------------------------------------------------- accounts
    accounts = []
    domains = {}
    used_names = set()
    for aid in range(1, 321):
        while True:
            name = f"{rng.choice(NAME_A)} {rng.choice(NAME_B)}"
            if name not in used_names:
                break
            name = f"{name} {rng.choice(SUFFIX)}"
            if name not in used_names:
                break
        used_names.add(name)
        created = ANCHOR - dt.timedelta(days=rng.randint(20, 760), seconds=rng.randint(0, 86399))
        domains[aid] = slug(name.split(" ")[0] + name.split(" ")[1]) + rng.choice([".com", ".io", ".co", ".example"])
        industry = rng.choice(INDUSTRIES) if rng.random() > 0.04 else None
        accounts.append((aid, name, industry, rng.choice(COUNTRIES), ts(created), loaded()))
    tables["accounts"] = (["id", "name", "industry", "country_code", "created_at", "_loaded_at"], accounts)
    acc_created = {a[0]: dt.datetime.fromisoformat(a[4]) for a in accounts}

    # ---------------------------------------------------------------- app_users
    users = []
    uid = 0
    user_account = {}
    user_created = {}
    used_emails = set()
    for aid in range(1, 321):
        n_users = max(1, int(rng.expovariate(1 / 4.5)))
        for _ in range(min(n_users, 25)):
            uid += 1
            first, last = rng.choice(FIRST), rng.choice(LAST)
            local = f"{slug(first)}.{slug(last)}"
            email = f"{local}@{domains[aid]}"
            k = 2
            while email in used_emails:
                email = f"{local}{k}@{domains[aid]}"
                k += 1
            used_emails.add(email)
            if rng.random() < 0.08:  # messy source data: some upper-cased emails
                email_out = email.upper()
            else:
                email_out = email
            phone = None if rng.random() < 0.2 else f"+1-{rng.randint(200, 989)}-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
            ip = f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            dob = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 40))
            start = acc_created[aid]
            span = max(1, int((ANCHOR - start).total_seconds()))
            created = start + dt.timedelta(seconds=int(span * rng.random() ** 2))
            users.append((uid, email_out, f"{first} {last}", phone, ip, dob.isoformat(), ts(created), aid))
            user_account[uid] = aid
            user_created[uid] = created
    tables["app_users"] = (["id", "email", "full_name", "phone", "signup_ip", "date_of_birth", "created_at", "account_id"], users)

    # ------------------------------------------------------------ subscriptions
    subs = []
    sid = 0
    for aid in range(1, 321):
        start = acc_created[aid] + dt.timedelta(hours=rng.randint(0, 72))
        plan = rng.choices([1, 2, 3, 4, 5], weights=[15, 35, 30, 15, 5])[0]
        while True:
            sid += 1
            duration_months = rng.choice([1, 2, 3, 4, 6, 9, 12, 18, 24, 40])
            end = add_months(start, duration_months)
            seats_factor = rng.choice([1.0, 1.0, 1.0, 0.9, 0.8, 1.5, 2.0])
            mrr = int(PLAN_PRICES[plan] * seats_factor)
            if end >= ANCHOR:
                # still running today
                status = rng.choices(["active", "past_due", "trialing"], weights=[90, 7, 3])[0]
                subs.append((sid, aid, plan, status, ts(start), None, mrr, loaded()))
                break
            # ended before today: upgrade / downgrade or churn
            nxt = rng.random()
            if nxt < 0.45:
                subs.append((sid, aid, plan, "canceled", ts(start), ts(end), mrr, loaded()))
                break
            subs.append((sid, aid, plan, "canceled", ts(start), ts(end), mrr, loaded()))
            plan = min(5, plan + 1) if nxt < 0.85 else max(1, plan - 1)
            start = end
    tables["subscriptions"] = (["id", "account_id", "plan_id", "status", "started_at", "ended_at", "mrr_cents", "_loaded_at"], subs)

    # ------------------------------------------------------------------ invoices
    invoices = []
    iid = 0
    for (s_id, aid, plan, status, started, ended, mrr, _l) in subs:
        if mrr == 0:
            continue
        start = dt.datetime.fromisoformat(started)
        stop = dt.datetime.fromisoformat(ended) if ended else ANCHOR
        currency = "USD" if rng.random() < 0.8 else rng.choice(["EUR", "GBP"])
        d = start
        while d < stop:
            iid += 1
            issued = d + dt.timedelta(hours=rng.randint(0, 5))
            r = rng.random()
            if issued > ANCHOR - dt.timedelta(days=12) and r < 0.5:
                inv_status, paid = "open", None
            elif r < 0.90:
                inv_status, paid = "paid", issued + dt.timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 23))
            elif r < 0.95:
                inv_status, paid = "void", None
            elif r < 0.985:
                inv_status, paid = "uncollectible", None
            else:
                inv_status, paid = "open", None
            amount = mrr if rng.random() > 0.05 else int(mrr * rng.choice([0.5, 1.2, 2.0]))
            if paid is not None and paid > ANCHOR:
                paid = ANCHOR - dt.timedelta(hours=rng.randint(1, 48))
            invoices.append((iid, aid, s_id, amount, currency, ts(issued), ts(paid), inv_status, loaded()))
            d = add_months(d, 1)
    tables["invoices"] = (["id", "account_id", "subscription_id", "amount_cents", "currency", "issued_at", "paid_at", "status", "_loaded_at"], invoices)

    # ------------------------------------------------------------ product_events
    events = []
    eid = 0
    names, weights = zip(*EVENTS)
    window_start = ANCHOR - dt.timedelta(days=120)
    for u, created in user_created.items():
        if created >= window_start:
            eid += 1
            props = {"source": rng.choice(["organic", "google_ads", "referral", "partner"]), "plan_hint": rng.choice(["free", "trial"])}
            events.append((eid, u, "signed_up", ts(created), json.dumps(props, sort_keys=True), loaded(30)))
    all_users = list(user_created)
    activity = {u: rng.random() ** 3 for u in all_users}
    for _ in range(5200):
        u = rng.choices(all_users, weights=[activity[x] for x in all_users])[0]
        lo = max(user_created[u], window_start)
        if lo >= ANCHOR:
            continue
        span = int((ANCHOR - lo).total_seconds())
        when = lo + dt.timedelta(seconds=rng.randint(0, span - 1))
        name = rng.choices(names, weights=weights)[0]
        props = {"client": rng.choice(["web", "web", "web", "ios", "android", "api"])}
        if name == "report_exported":
            props["format"] = rng.choice(["csv", "xlsx", "pdf"])
        if name == "integration_connected":
            props["integration"] = rng.choice(["slack", "salesforce", "hubspot", "snowflake"])
        eid += 1
        events.append((eid, u, name, ts(when), json.dumps(props, sort_keys=True), loaded(30)))
    events.sort(key=lambda e: (e[3], e[0]))
    events = [(i + 1,) + e[1:] for i, e in enumerate(events)]
    tables["product_events"] = (["id", "user_id", "event_name", "occurred_at", "properties", "_loaded_at"], events)

    # ----------------------------------------------------------- support_tickets
    tickets = []
    emails_by_account: dict[int, list[str]] = {}
    for row in users:
        emails_by_account.setdefault(row[7], []).append(row[1].lower())
    for tid in range(1, 701):
        aid = rng.randint(1, 320)
        created = ANCHOR - dt.timedelta(days=rng.randint(0, 364), seconds=rng.randint(0, 86399))
        subject, topic = rng.choice(TICKET_SUBJECTS)
        requester = rng.choice(emails_by_account[aid])
        body = (f"Hi team, {subject.lower()}. Account {aid}, topic {topic}. "
                f"Please reach me at {requester}. Thanks!")
        # 'urgent' is not in the documented priority list -> the warn-level test fires
        priority = rng.choices(["low", "medium", "high", "urgent"], weights=[40, 40, 17, 3])[0]
        age_days = (ANCHOR - created).days
        if age_days < 3 and rng.random() < 0.7:
            status, resolved = rng.choice(["open", "pending"]), None
        elif rng.random() < 0.05:
            status, resolved = "open", None
        else:
            status = rng.choice(["solved", "closed"])
            resolved = min(created + dt.timedelta(hours=rng.expovariate(1 / 30) + 0.25), ANCHOR)
        tickets.append((tid, aid, requester, subject, body, priority, status, ts(created), ts(resolved),
                        loaded(60, stale_hours=60)))  # ~2.5 days stale -> freshness warns
    tables["support_tickets"] = (["id", "account_id", "requester_email", "subject", "body", "priority", "status", "created_at", "resolved_at", "_loaded_at"], tickets)
    return tables


DDL = {
    "accounts": "id INTEGER, name VARCHAR, industry VARCHAR, country_code VARCHAR, created_at TIMESTAMP, _loaded_at TIMESTAMP",
    "app_users": "id INTEGER, email VARCHAR, full_name VARCHAR, phone VARCHAR, signup_ip VARCHAR, date_of_birth DATE, created_at TIMESTAMP, account_id INTEGER",
    "subscriptions": "id INTEGER, account_id INTEGER, plan_id INTEGER, status VARCHAR, started_at TIMESTAMP, ended_at TIMESTAMP, mrr_cents INTEGER, _loaded_at TIMESTAMP",
    "invoices": "id INTEGER, account_id INTEGER, subscription_id INTEGER, amount_cents INTEGER, currency VARCHAR, issued_at TIMESTAMP, paid_at TIMESTAMP, status VARCHAR, _loaded_at TIMESTAMP",
    "product_events": "id INTEGER, user_id INTEGER, event_name VARCHAR, occurred_at TIMESTAMP, properties VARCHAR, _loaded_at TIMESTAMP",
    "support_tickets": "id INTEGER, account_id INTEGER, requester_email VARCHAR, subject VARCHAR, body VARCHAR, priority VARCHAR, status VARCHAR, created_at TIMESTAMP, resolved_at TIMESTAMP, _loaded_at TIMESTAMP",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=DEFAULT_DB)
    args = ap.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    tables = build(now)
    con = duckdb.connect(str(args.db))
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (cols, rows) in tables.items():
            path = Path(tmp) / f"{name}.csv"
            with path.open("w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(cols)
                w.writerows([["\\N" if v is None else v for v in row] for row in rows])
            con.execute(f"DROP TABLE IF EXISTS raw.{name}")
            con.execute(f"CREATE TABLE raw.{name} ({DDL[name]})")
            con.execute(f"COPY raw.{name} FROM '{path.as_posix()}' (HEADER, NULLSTR '\\N')")
            n = con.execute(f"SELECT count(*) FROM raw.{name}").fetchone()[0]
            print(f"  raw.{name:<16} {n:>6} rows")
    con.close()
    print(f"wrote {args.db}")


if __name__ == "__main__":
    main()
