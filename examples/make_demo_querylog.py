#!/usr/bin/env python3
"""Generate a demo Snowflake query history for the saas_analytics example.

Reads ``saas_analytics/target/manifest.json`` (and ``catalog.json`` for column names when it is
there) and writes an export of Snowflake's ``SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY`` view as if the
dbt project ran on Snowflake:

    demo_querylog/snowflake_query_history.csv    (header row, upper-case column names)
    demo_querylog/snowflake_query_history.jsonl  (same rows, one JSON object per line)

About 2,000 statements over the 30 days before 2026-11-20, by BI service users and analysts:
SELECTs against the marts (``SAAS.MARTS.FCT_MRR`` ...) with joins, filters on literal values
(emails, ids, amounts), IN lists and aggregates; a few INSERT ... SELECT / CREATE TABLE AS into
warehouse-only tables (``SAAS.REPORTING.WEEKLY_EXEC_SNAPSHOT``), a MERGE by the reverse-ETL user,
failed statements, and statements on tables dbt does not know. Popularity is skewed (fct_mrr and
customer_churn first) and some marts get no queries at all, for "unused assets" reports.

Deterministic: fixed seed, fixed time window; the output only changes when the manifest's marts do.
Standard library only.

Usage:  python make_demo_querylog.py [--manifest PATH] [--out-dir DIR] [--rows N]
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_MANIFEST = HERE / "saas_analytics" / "target" / "manifest.json"
DEFAULT_OUT = HERE / "demo_querylog"
SEED = 42
END = dt.datetime(2026, 11, 20, 0, 0, 0)
DAYS = 30

COLUMNS = [
    "QUERY_ID", "QUERY_TEXT", "DATABASE_NAME", "SCHEMA_NAME", "QUERY_TYPE", "SESSION_ID",
    "USER_NAME", "ROLE_NAME", "WAREHOUSE_NAME", "WAREHOUSE_SIZE", "QUERY_TAG",
    "EXECUTION_STATUS", "ERROR_CODE", "ERROR_MESSAGE", "START_TIME", "END_TIME",
    "TOTAL_ELAPSED_TIME", "BYTES_SCANNED", "ROWS_PRODUCED",
]

# Marts that get queries, with relative popularity. Marts not listed here (e.g. dim_accounts v1,
# fct_support_tickets, metricflow_time_spine) get no queries at all.
POPULARITY = {
    "fct_mrr": 30,
    "customer_churn": 24,
    "fct_revenue": 14,
    "dim_accounts": 6,
    "fct_product_usage": 8,
    "dim_users": 5,
    "fct_subscriptions": 2,
}

# user -> (role, warehouse, warehouse size, query_tag, weight, favourite marts)
USERS = {
    "LOOKER_SVC": ("BI_READER", "BI_WH", "Small", "looker", 26, None),
    "TABLEAU_SVC": ("BI_READER", "BI_WH", "Small", "tableau", 12, ["fct_mrr", "customer_churn", "fct_revenue"]),
    "ALICE_NGUYEN": ("FINANCE_ANALYST", "ANALYST_WH", "X-Small", "", 10, ["fct_mrr", "fct_revenue", "customer_churn"]),
    "DANA_WHITFIELD": ("FINANCE_ANALYST", "ANALYST_WH", "X-Small", "", 6, ["customer_churn", "fct_mrr"]),
    "BOB_MARTIN": ("PRODUCT_ANALYST", "ANALYST_WH", "X-Small", "", 8, ["fct_product_usage", "dim_users", "fct_mrr"]),
    "CAROL_SMITH": ("PRODUCT_ANALYST", "ANALYST_WH", "X-Small", "", 6, ["dim_users", "fct_product_usage"]),
    "ERIN_KOVAC": ("ANALYST", "ANALYST_WH", "Medium", "", 8, None),
    "FRANK_OSEI": ("ANALYST", "ANALYST_WH", "X-Small", "", 5, ["customer_churn", "fct_mrr"]),
    "GRACE_LIU": ("CS_OPS", "BI_WH", "Small", "", 4, ["customer_churn", "fct_product_usage"]),
    "HASSAN_ALI": ("SYSADMIN", "ADMIN_WH", "X-Small", "", 2, None),
    "HIGHTOUCH_SVC": ("REVERSE_ETL", "REPORTING_WH", "Small", "hightouch-sync", 3, ["customer_churn"]),
}

FIRST = ["alice", "bob", "carla", "dmitri", "elena", "farid", "grace", "hiro", "ines", "jamal",
         "kofi", "lena", "mateo", "nora", "omar", "priya", "quinn", "rosa", "sven", "tara"]
LAST = ["anders", "brown", "chen", "diaz", "eriksen", "fischer", "garcia", "haddad", "ito",
        "jensen", "lopez", "nakamura", "okafor", "patel", "rossi", "smith", "tanaka", "wang"]
DOMAINS = ["acmelabs.com", "bluesystems.io", "cedarhealth.co", "deltaworks.com", "harborpartners.io",
           "nimbuscapital.co", "pinefoods.example", "summitanalytics.com", "tidalmedia.io"]
PLANS = ["Free", "Starter", "Growth", "Pro", "Enterprise"]
SEGMENTS = ["enterprise", "mid_market", "smb", "free", "former_customer"]
INDUSTRIES = ["software", "fintech", "healthcare", "retail", "education", "media", "logistics"]
COUNTRIES = ["US", "GB", "DE", "FR", "CA", "NL", "AU"]

# Relations that exist in the warehouse but not in the dbt project.
NON_DBT = {
    "weekly_snapshot": "SAAS.REPORTING.WEEKLY_EXEC_SNAPSHOT",
    "crm_sync": "SAAS.REPORTING.CRM_ACCOUNT_SYNC",
    "legacy_revenue": "SAAS.LEGACY.REVENUE_2023",
    "sandbox": "SAAS.SANDBOX.ERIN_CHURN_SCRATCH",
    "marketing_spend": "MARKETING.ADS.DAILY_SPEND",
    "query_history": "SNOWFLAKE.ACCOUNT_USAGE.QUERY_HISTORY",
    "warehouse_metering": "SNOWFLAKE.ACCOUNT_USAGE.WAREHOUSE_METERING_HISTORY",
}


# --------------------------------------------------------------------------- manifest
def load_marts(manifest_path: Path) -> dict[str, dict]:
    """name -> {fqn: 'SAAS.MARTS.FCT_MRR', db, schema, table, columns, latest}."""
    manifest = json.loads(manifest_path.read_text())
    catalog_path = manifest_path.with_name("catalog.json")
    catalog = json.loads(catalog_path.read_text()) if catalog_path.exists() else {"nodes": {}}
    marts: dict[str, dict] = {}
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or node["config"].get("materialized") == "ephemeral":
            continue
        if node["schema"].lower() != "marts":
            continue
        version, latest = node.get("version"), node.get("latest_version")
        if version is not None and str(version) != str(latest):
            key = f"{node['name']}_v{version}"  # older versions are never queried here
        else:
            key = node["name"]
        table = (node.get("alias") or node["name"]).upper()
        cols = list(catalog["nodes"].get(uid, {}).get("columns", {}).keys()) or list(node["columns"].keys())
        marts[key] = {
            "db": node["database"].upper(),
            "schema": node["schema"].upper(),
            "table": table,
            "fqn": f"{node['database']}.{node['schema']}.{table}".upper(),
            "columns": [c.lower() for c in cols],
        }
    missing = [m for m in POPULARITY if m not in marts]
    if missing:
        raise SystemExit(f"manifest has no marts named {missing}; is it the saas_analytics manifest?")
    return marts


# --------------------------------------------------------------------------- helpers
class Gen:
    def __init__(self, rng: random.Random, marts: dict[str, dict]):
        self.rng = rng
        self.m = marts

    def ref(self, name: str, style: str | None = None) -> str:
        """How an analyst writes the relation: fully qualified, quoted, lower-case or bare."""
        info = self.m[name]
        style = style or self.rng.choices(["upper", "lower", "quoted", "bare"], weights=[55, 25, 8, 12])[0]
        if style == "upper":
            return info["fqn"]
        if style == "lower":
            return info["fqn"].lower()
        if style == "quoted":
            return ".".join(f'"{p}"' for p in (info["db"], info["schema"], info["table"]))
        return info["table"].lower()  # resolved through the session's DATABASE_NAME/SCHEMA_NAME

    def email(self) -> str:
        r = self.rng
        return f"{r.choice(FIRST)}.{r.choice(LAST)}@{r.choice(DOMAINS)}"

    def ids(self, n: int) -> str:
        return ", ".join(str(x) for x in sorted(self.rng.sample(range(1, 321), n)))

    def month(self, back_max: int = 18) -> str:
        d = dt.date(2026, 11, 1)
        for _ in range(self.rng.randint(0, back_max)):
            d = (d - dt.timedelta(days=1)).replace(day=1)
        return d.isoformat()

    def day(self) -> str:
        return (END.date() - dt.timedelta(days=self.rng.randint(1, 120))).isoformat()


def q_fct_mrr(g: Gen) -> str:
    r = g.rng
    t = g.ref("fct_mrr")
    choice = r.randint(0, 6)
    if choice == 0:
        return (f"SELECT mrr_month, SUM(mrr_amount) AS mrr, COUNT(DISTINCT account_id) AS paying_accounts\n"
                f"FROM {t}\nWHERE mrr_month >= '{g.month()}'\nGROUP BY 1\nORDER BY 1")
    if choice == 1:
        return (f"SELECT mrr_movement, SUM(mrr_change) AS mrr_change\nFROM {t}\n"
                f"WHERE mrr_month = '{g.month(6)}'\nGROUP BY mrr_movement\nORDER BY 2 DESC")
    if choice == 2:
        a = g.ref("dim_accounts")
        return (f"SELECT a.account_name, a.industry, m.mrr_month, m.mrr_amount, m.mrr_movement\n"
                f"FROM {t} m\nJOIN {a} a ON a.account_id = m.account_id\n"
                f"WHERE m.account_id IN ({g.ids(r.randint(2, 8))})\nORDER BY m.account_id, m.mrr_month")
    if choice == 3:
        a = g.ref("dim_accounts")
        return (f"SELECT a.country_code, a.customer_segment, SUM(m.mrr_amount) AS mrr\n"
                f"FROM {t} AS m\nLEFT JOIN {a} AS a ON m.account_id = a.account_id\n"
                f"WHERE m.mrr_month = DATE_TRUNC('month', CURRENT_DATE())\n"
                f"  AND a.country_code IN ({', '.join(repr(c) for c in r.sample(COUNTRIES, 3))})\n"
                f"GROUP BY 1, 2\nHAVING SUM(m.mrr_amount) > {r.choice([0, 500, 1000, 5000])}")
    if choice == 4:
        return (f"WITH monthly AS (\n  SELECT mrr_month, SUM(mrr_amount) AS mrr FROM {t} GROUP BY 1\n)\n"
                f"SELECT mrr_month, mrr, mrr - LAG(mrr) OVER (ORDER BY mrr_month) AS mom_change\n"
                f"FROM monthly\nORDER BY mrr_month DESC\nLIMIT {r.choice([12, 24, 36])}")
    if choice == 5:
        return (f"SELECT plan_name, COUNT(*) AS accounts, AVG(mrr_amount) AS arpa\nFROM {t}\n"
                f"WHERE mrr_month = '{g.month(3)}' AND mrr_amount > {r.choice([0, 29, 99])}\n"
                f"GROUP BY plan_name ORDER BY arpa DESC")
    return f"SELECT * FROM {t} WHERE account_id = {r.randint(1, 320)} ORDER BY mrr_month DESC"


def q_customer_churn(g: Gen) -> str:
    r = g.rng
    t = g.ref("customer_churn")
    choice = r.randint(0, 5)
    if choice == 0:
        return (f"SELECT churn_month,\n       SUM(IFF(is_churned, 1, 0)) AS churned,\n"
                f"       SUM(IFF(was_active_at_start, 1, 0)) AS at_start,\n"
                f"       churned / NULLIF(at_start, 0) AS churn_rate\nFROM {t}\n"
                f"WHERE churn_month >= '{g.month(12)}'\nGROUP BY churn_month\nORDER BY churn_month")
    if choice == 1:
        a = g.ref("dim_accounts")
        return (f"SELECT c.account_id, a.account_name, c.churn_month, c.churned_mrr_amount, c.churn_category\n"
                f"FROM {t} c\nINNER JOIN {a} a ON a.account_id = c.account_id\n"
                f"WHERE c.is_churned = TRUE AND c.churned_mrr_amount >= {r.choice([29, 99, 299, 999])}\n"
                f"ORDER BY c.churn_month DESC, c.churned_mrr_amount DESC")
    if choice == 2:
        return (f"SELECT churn_category, COUNT(*) AS n, SUM(churned_mrr_amount) AS lost_mrr\nFROM {t}\n"
                f"WHERE is_churned AND churn_month BETWEEN '{g.month(12)}' AND '2026-11-01'\nGROUP BY 1")
    if choice == 3:
        u = g.ref("dim_users")
        return (f"SELECT u.email, u.full_name, c.churn_month\nFROM {t} c\n"
                f"JOIN {u} u ON u.account_id = c.account_id\n"
                f"WHERE c.is_churned AND u.email = '{g.email()}'")
    if choice == 4:
        return (f"SELECT tenure_months, AVG(IFF(is_churned, 1, 0)) AS churn_probability\nFROM {t}\n"
                f"WHERE was_active_at_start\nGROUP BY tenure_months\nORDER BY tenure_months")
    return (f"SELECT * FROM {t}\nWHERE account_id IN ({g.ids(r.randint(1, 5))})\n"
            f"  AND churn_month >= DATEADD(month, -{r.choice([3, 6, 12])}, CURRENT_DATE())")


def q_fct_revenue(g: Gen) -> str:
    r = g.rng
    t = g.ref("fct_revenue")
    choice = r.randint(0, 4)
    if choice == 0:
        return (f"SELECT issued_month, currency, SUM(amount_usd) AS revenue_usd, COUNT(*) AS invoices\n"
                f"FROM {t}\nWHERE invoice_status <> 'void' AND issued_month >= '{g.month(12)}'\n"
                f"GROUP BY 1, 2\nORDER BY 1, 2")
    if choice == 1:
        return (f"SELECT payment_bucket, COUNT(*) AS invoices, MEDIAN(days_to_pay) AS median_days\n"
                f"FROM {t}\nWHERE issued_at >= '{g.day()}'\nGROUP BY payment_bucket")
    if choice == 2:
        return (f"SELECT invoice_id, account_id, amount, currency, issued_at\nFROM {t}\n"
                f"WHERE invoice_status IN ('open', 'uncollectible') AND amount_usd > {r.choice([100, 250, 500, 1000])}\n"
                f"ORDER BY amount_usd DESC\nLIMIT 100")
    if choice == 3:
        a = g.ref("dim_accounts")
        return (f"SELECT a.industry, SUM(r.amount_usd) AS revenue\nFROM {t} r\n"
                f"JOIN {a} a USING (account_id)\nWHERE r.is_paid AND r.paid_at >= '{g.day()}'\n"
                f"GROUP BY a.industry\nORDER BY revenue DESC")
    return f"SELECT * FROM {t} WHERE invoice_id = {r.randint(1, 2600)}"


def q_dim_accounts(g: Gen) -> str:
    r = g.rng
    t = g.ref("dim_accounts")
    choice = r.randint(0, 4)
    if choice == 0:
        return f"SELECT customer_segment, COUNT(*) AS accounts, SUM(current_mrr_amount) AS mrr\nFROM {t}\nGROUP BY 1"
    if choice == 1:
        return (f"SELECT account_id, account_name, current_plan_name, current_mrr_amount\nFROM {t}\n"
                f"WHERE industry = '{r.choice(INDUSTRIES)}' AND is_paying\nORDER BY current_mrr_amount DESC")
    if choice == 2:
        return f"SELECT * FROM {t} WHERE account_id = {r.randint(1, 320)}"
    if choice == 3:
        return (f"SELECT account_id, account_name, lifetime_revenue_usd\nFROM {t}\n"
                f"WHERE current_plan_name IN ({', '.join(repr(p) for p in r.sample(PLANS, 2))})\n"
                f"  AND user_count >= {r.randint(2, 10)}")
    return f"SELECT COUNT(*) FROM {t} WHERE account_name ILIKE '%{r.choice(['labs', 'health', 'capital', 'media'])}%'"


def q_fct_product_usage(g: Gen) -> str:
    r = g.rng
    t = g.ref("fct_product_usage")
    choice = r.randint(0, 3)
    if choice == 0:
        return (f"SELECT activity_date, SUM(active_users) AS dau, SUM(total_events) AS events\nFROM {t}\n"
                f"WHERE activity_date >= DATEADD(day, -{r.choice([7, 28, 90])}, CURRENT_DATE())\nGROUP BY 1 ORDER BY 1")
    if choice == 1:
        return (f"SELECT account_id, SUM(reports_exported) AS exports\nFROM {t}\n"
                f"WHERE activity_date BETWEEN '{g.day()}' AND '2026-11-19'\nGROUP BY 1\nORDER BY exports DESC\nLIMIT 20")
    if choice == 2:
        c = g.ref("customer_churn")
        return (f"SELECT c.is_churned, AVG(u.events_trailing_7d) AS avg_events_7d\nFROM {t} u\n"
                f"JOIN {c} c ON c.account_id = u.account_id\n"
                f"  AND DATE_TRUNC('month', u.activity_date) = c.churn_month\nGROUP BY 1")
    return f"SELECT * FROM {t} WHERE account_id = {r.randint(1, 320)} AND activity_date >= '{g.day()}'"


def q_dim_users(g: Gen) -> str:
    r = g.rng
    t = g.ref("dim_users")
    choice = r.randint(0, 3)
    if choice == 0:
        return f"SELECT user_id, account_id, full_name, last_active_date\nFROM {t}\nWHERE email = '{g.email()}'"
    if choice == 1:
        return (f"SELECT email_domain, COUNT(*) AS users, SUM(IFF(is_active_last_30d, 1, 0)) AS active_30d\n"
                f"FROM {t}\nGROUP BY 1\nORDER BY users DESC\nLIMIT 50")
    if choice == 2:
        emails = ", ".join(f"'{g.email()}'" for _ in range(r.randint(2, 4)))
        return f"SELECT * FROM {t} WHERE LOWER(email) IN ({emails})"
    return f"SELECT COUNT(*) FROM {t} WHERE signed_up_at >= '{g.day()}' AND account_id = {r.randint(1, 320)}"


def q_fct_subscriptions(g: Gen) -> str:
    r = g.rng
    t = g.ref("fct_subscriptions")
    if r.random() < 0.5:
        return f"SELECT change_type, COUNT(*) FROM {t} WHERE started_at >= '{g.day()}' GROUP BY 1"
    return f"SELECT * FROM {t} WHERE account_id = {r.randint(1, 320)} ORDER BY subscription_sequence"


TEMPLATES = {
    "fct_mrr": q_fct_mrr, "customer_churn": q_customer_churn, "fct_revenue": q_fct_revenue,
    "dim_accounts": q_dim_accounts, "fct_product_usage": q_fct_product_usage,
    "dim_users": q_dim_users, "fct_subscriptions": q_fct_subscriptions,
}
# rough table sizes for BYTES_SCANNED
TABLE_BYTES = {"fct_mrr": 380_000, "customer_churn": 420_000, "fct_revenue": 260_000, "dim_accounts": 48_000,
               "fct_product_usage": 310_000, "dim_users": 190_000, "fct_subscriptions": 36_000}


# --------------------------------------------------------------------------- generation
def query_id(rng: random.Random) -> str:
    h = "%032x" % rng.getrandbits(128)
    return f"01b{h[:5]}-0{h[5:8]}-{h[8:12]}-0000-{h[12:24]}"


def pick_time(rng: random.Random, service: bool) -> dt.datetime:
    while True:
        day = rng.randrange(DAYS)
        d = END - dt.timedelta(days=DAYS - day)
        weekend = d.weekday() >= 5
        if weekend and rng.random() < (0.6 if service else 0.9):
            continue
        hour = rng.randrange(24) if service else min(23, max(6, int(rng.gauss(13, 3))))
        return d.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60),
                         microsecond=rng.randrange(1000) * 1000)


def make_rows(marts: dict[str, dict], n_rows: int) -> list[dict]:
    rng = random.Random(SEED)
    g = Gen(rng, marts)
    rows: list[dict] = []
    users = list(USERS)
    user_weights = [USERS[u][4] for u in users]
    sessions: dict[tuple[str, dt.date], int] = {}

    def emit(user: str, text: str, qtype: str, start: dt.datetime, *, db="SAAS", schema="MARTS",
             status="SUCCESS", err=None, msg=None, elapsed_ms=None, bytes_scanned=0, rows_out=0):
        role, wh, size, tag, _, _ = USERS[user]
        key = (user, start.date())
        if key not in sessions:
            sessions[key] = 2_155_000_000_000_000 + rng.randrange(10**12)
        if elapsed_ms is None:
            elapsed_ms = int(rng.lognormvariate(6.3, 0.9)) + 40
        end = start + dt.timedelta(milliseconds=elapsed_ms)
        rows.append({
            "QUERY_ID": query_id(rng), "QUERY_TEXT": text, "DATABASE_NAME": db, "SCHEMA_NAME": schema,
            "QUERY_TYPE": qtype, "SESSION_ID": sessions[key], "USER_NAME": user, "ROLE_NAME": role,
            "WAREHOUSE_NAME": wh, "WAREHOUSE_SIZE": size, "QUERY_TAG": tag,
            "EXECUTION_STATUS": status, "ERROR_CODE": err, "ERROR_MESSAGE": msg,
            "_start": start, "_end": end, "TOTAL_ELAPSED_TIME": elapsed_ms,
            "BYTES_SCANNED": bytes_scanned, "ROWS_PRODUCED": rows_out,
        })

    # 1) scheduled / special statements -------------------------------------------------------
    mondays = [END - dt.timedelta(days=d) for d in range(1, DAYS + 1) if (END - dt.timedelta(days=d)).weekday() == 0]
    for i, monday in enumerate(sorted(mondays)):
        start = monday.replace(hour=6, minute=5, second=rng.randrange(60))
        if i == 0:
            text = (f"CREATE TABLE IF NOT EXISTS {NON_DBT['weekly_snapshot']} AS\n"
                    f"SELECT CURRENT_DATE() AS snapshot_date, m.mrr_month, SUM(m.mrr_amount) AS mrr,\n"
                    f"       SUM(IFF(c.is_churned, 1, 0)) AS churned_accounts\n"
                    f"FROM {marts['fct_mrr']['fqn']} m\n"
                    f"LEFT JOIN {marts['customer_churn']['fqn']} c ON c.churn_id = m.mrr_id\n"
                    f"GROUP BY 1, 2")
            emit("ALICE_NGUYEN", text, "CREATE_TABLE_AS_SELECT", start, elapsed_ms=4200,
                 bytes_scanned=TABLE_BYTES["fct_mrr"] + TABLE_BYTES["customer_churn"], rows_out=1)
        else:
            text = (f"INSERT INTO {NON_DBT['weekly_snapshot']} (snapshot_date, mrr_month, mrr, churned_accounts)\n"
                    f"SELECT CURRENT_DATE(), m.mrr_month, SUM(m.mrr_amount), SUM(IFF(c.is_churned, 1, 0))\n"
                    f"FROM {marts['fct_mrr']['fqn']} m\n"
                    f"LEFT JOIN {marts['customer_churn']['fqn']} c ON c.churn_id = m.mrr_id\n"
                    f"WHERE m.mrr_month = DATE_TRUNC('month', CURRENT_DATE())\nGROUP BY 1, 2")
            emit("ALICE_NGUYEN", text, "INSERT", start, elapsed_ms=2100 + rng.randrange(900),
                 bytes_scanned=TABLE_BYTES["fct_mrr"] // 8, rows_out=1)
        emit("TABLEAU_SVC", f"SELECT * FROM {NON_DBT['weekly_snapshot']} ORDER BY snapshot_date DESC, mrr_month",
             "SELECT", start + dt.timedelta(minutes=30), db="SAAS", schema="REPORTING",
             bytes_scanned=2048 * (i + 1), rows_out=26 * (i + 1))

    for day in range(DAYS):
        start = (END - dt.timedelta(days=DAYS - day)).replace(hour=2, minute=15, second=rng.randrange(60))
        text = (f"MERGE INTO {NON_DBT['crm_sync']} AS tgt\n"
                f"USING (\n  SELECT a.account_id, a.account_name, a.customer_segment, a.current_mrr_amount,\n"
                f"         c.has_ever_churned\n  FROM {marts['dim_accounts']['fqn']} a\n"
                f"  LEFT JOIN {marts['customer_churn']['fqn']} c\n"
                f"    ON c.account_id = a.account_id AND c.churn_month = DATE_TRUNC('month', CURRENT_DATE())\n) AS src\n"
                f"ON tgt.account_id = src.account_id\n"
                f"WHEN MATCHED THEN UPDATE SET tgt.segment = src.customer_segment, tgt.mrr = src.current_mrr_amount,\n"
                f"  tgt.churn_flag = src.has_ever_churned, tgt.synced_at = CURRENT_TIMESTAMP()\n"
                f"WHEN NOT MATCHED THEN INSERT (account_id, account_name, segment, mrr, churn_flag, synced_at)\n"
                f"  VALUES (src.account_id, src.account_name, src.customer_segment, src.current_mrr_amount,\n"
                f"          src.has_ever_churned, CURRENT_TIMESTAMP())")
        if day == 17:
            emit("HIGHTOUCH_SVC", text, "MERGE", start, schema="REPORTING", status="FAIL", err="000625",
                 msg="Statement '01b0...' has locked table 'CRM_ACCOUNT_SYNC' in transaction 1763598900123 and this lock has not yet been released.",
                 elapsed_ms=3_600_000 // 60, bytes_scanned=0, rows_out=0)
        else:
            emit("HIGHTOUCH_SVC", text, "MERGE", start, schema="REPORTING", elapsed_ms=1800 + rng.randrange(2500),
                 bytes_scanned=TABLE_BYTES["dim_accounts"] + TABLE_BYTES["customer_churn"] // 10, rows_out=320)

    # sandbox work on a scratch table (not in dbt)
    for _ in range(6):
        start = pick_time(rng, False)
        emit("ERIN_KOVAC",
             f"CREATE OR REPLACE TABLE {NON_DBT['sandbox']} AS\nSELECT * FROM {marts['customer_churn']['fqn']}\n"
             f"WHERE churn_month >= '{g.month(6)}' AND tickets_prior_90d >= {rng.randint(1, 4)}",
             "CREATE_TABLE_AS_SELECT", start, schema="SANDBOX", bytes_scanned=TABLE_BYTES["customer_churn"], rows_out=1)
        emit("ERIN_KOVAC", f"SELECT churn_category, COUNT(*) FROM {NON_DBT['sandbox']} GROUP BY 1",
             "SELECT", start + dt.timedelta(minutes=rng.randint(1, 20)), schema="SANDBOX",
             bytes_scanned=9_000, rows_out=3)

    # 2) ad-hoc and BI traffic ----------------------------------------------------------------
    mart_names = list(POPULARITY)
    mart_weights = [POPULARITY[m] for m in mart_names]
    while len(rows) < n_rows:
        user = rng.choices(users, weights=user_weights)[0]
        service = user.endswith("_SVC")
        start = pick_time(rng, service)
        favourites = USERS[user][5]
        roll = rng.random()

        if user == "HASSAN_ALI" or (roll < 0.03 and not service):
            # admin / housekeeping statements on non-dbt objects
            kind = rng.randrange(4)
            if kind == 0:
                text = (f"SELECT user_name, COUNT(*) AS queries, SUM(total_elapsed_time) / 1000 AS seconds\n"
                        f"FROM {NON_DBT['query_history']}\nWHERE start_time >= DATEADD(day, -7, CURRENT_TIMESTAMP())\n"
                        f"GROUP BY 1 ORDER BY 2 DESC")
                emit(user, text, "SELECT", start, db="SNOWFLAKE", schema="ACCOUNT_USAGE",
                     bytes_scanned=rng.randrange(10**7, 10**8), rows_out=rng.randint(8, 14))
            elif kind == 1:
                text = (f"SELECT warehouse_name, SUM(credits_used) FROM {NON_DBT['warehouse_metering']}\n"
                        f"WHERE start_time >= DATE_TRUNC('month', CURRENT_DATE()) GROUP BY 1")
                emit(user, text, "SELECT", start, db="SNOWFLAKE", schema="ACCOUNT_USAGE",
                     bytes_scanned=rng.randrange(10**5, 10**6), rows_out=4)
            elif kind == 2:
                emit(user, "SHOW TABLES IN SCHEMA SAAS.MARTS", "SHOW", start, elapsed_ms=rng.randint(60, 300),
                     rows_out=len(marts))
            else:
                text = (f"SELECT fiscal_year, SUM(revenue_usd) FROM {NON_DBT['legacy_revenue']}\n"
                        f"WHERE region = '{rng.choice(['EMEA', 'NA', 'APAC'])}' GROUP BY 1")
                emit(user if user != "HASSAN_ALI" else "FRANK_OSEI", text, "SELECT", start, schema="LEGACY",
                     bytes_scanned=rng.randrange(10**5, 10**6), rows_out=1)
            continue

        if roll < 0.06:
            # failed statements
            kind = rng.randrange(4)
            if kind == 0:
                bad = rng.choice(["SAAS.MARTS.FCT_CHURN", "SAAS.MARTS.DIM_ACCOUNT", "SAAS.MARTS.FCT_MRR_DAILY"])
                text = f"SELECT * FROM {bad} LIMIT 100"
                emit(user, text, "UNKNOWN", start, status="FAIL", err="002003",
                     msg=f"SQL compilation error:\nObject '{bad}' does not exist or not authorized.",
                     elapsed_ms=rng.randint(40, 200))
            elif kind == 1:
                t = g.ref("fct_mrr", "upper")
                text = f"SELECT account_id, mrr FROM {t} WHERE mrr_month = '{g.month(3)}'"
                emit(user, text, "UNKNOWN", start, status="FAIL", err="000904",
                     msg="SQL compilation error: error line 1 at position 19\ninvalid identifier 'MRR'",
                     elapsed_ms=rng.randint(40, 200))
            elif kind == 2:
                t = g.ref("customer_churn", "upper")
                u = g.ref("fct_product_usage", "upper")
                text = (f"SELECT c.*, u.*\nFROM {t} c\nCROSS JOIN {u} u\n"
                        f"WHERE u.total_events > {rng.randint(1, 5)}")
                emit(user, text, "SELECT", start, status="FAIL", err="000630",
                     msg="Statement reached its statement or warehouse timeout of 3,600 second(s) and was canceled.",
                     elapsed_ms=3_600_000, bytes_scanned=TABLE_BYTES["customer_churn"] + TABLE_BYTES["fct_product_usage"])
            else:
                t = g.ref("fct_revenue", "upper")
                text = f"SELECT SUM(amount_usd) FROM {t} WHERE invoice_id = 'INV-{rng.randint(1000, 9999)}'"
                emit(user, text, "SELECT", start, status="FAIL", err="100038",
                     msg=f"Numeric value 'INV-{rng.randint(1000, 9999)}' is not recognized",
                     elapsed_ms=rng.randint(200, 900), bytes_scanned=TABLE_BYTES["fct_revenue"] // 4)
            continue

        if roll < 0.09:
            # statements against tables dbt does not know
            text = rng.choice([
                f"SELECT campaign, SUM(spend_usd) AS spend FROM {NON_DBT['marketing_spend']}\n"
                f"WHERE spend_date >= '{g.day()}' GROUP BY campaign ORDER BY spend DESC",
                f"SELECT d.spend_date, d.spend_usd, m.mrr\nFROM {NON_DBT['marketing_spend']} d\n"
                f"JOIN (SELECT mrr_month, SUM(mrr_amount) AS mrr FROM {marts['fct_mrr']['fqn']} GROUP BY 1) m\n"
                f"  ON DATE_TRUNC('month', d.spend_date) = m.mrr_month",
                f"SELECT * FROM {NON_DBT['crm_sync']} WHERE synced_at >= DATEADD(hour, -24, CURRENT_TIMESTAMP())",
            ])
            emit(user, text, "SELECT", start, db="MARKETING" if "MARKETING" in text.split("\n")[0] else "SAAS",
                 schema="ADS" if "MARKETING" in text.split("\n")[0] else "REPORTING",
                 bytes_scanned=rng.randrange(10**5, 5 * 10**6), rows_out=rng.randint(1, 400))
            continue

        if favourites and rng.random() < 0.7:
            mart = rng.choice(favourites)
        else:
            mart = rng.choices(mart_names, weights=mart_weights)[0]
        text = TEMPLATES[mart](g)
        if service and rng.random() < 0.3:
            text = f"-- {USERS[user][3]}: dashboard tile\n" + text
        if rng.random() < 0.04:
            emit(user, f"DESCRIBE TABLE {marts[mart]['fqn']}", "DESCRIBE", start - dt.timedelta(seconds=2),
                 elapsed_ms=rng.randint(50, 250), rows_out=len(marts[mart]["columns"]))
        scanned = int(TABLE_BYTES[mart] * rng.uniform(0.05, 1.0))
        produced = rng.choice([1, 1, 5, 12, 24, 36, 50, 100, 320, rng.randint(1, 2000)])
        emit(user, text, "SELECT", start, bytes_scanned=scanned, rows_out=produced)

    rows.sort(key=lambda r: (r["_start"], r["QUERY_ID"]))
    rows = rows[:n_rows]
    for r in rows:
        r["START_TIME"] = r.pop("_start").strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " +0000"
        r["END_TIME"] = r.pop("_end").strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " +0000"
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--rows", type=int, default=2000)
    args = ap.parse_args()

    marts = load_marts(args.manifest)
    rows = make_rows(marts, args.rows)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = args.out_dir / "snowflake_query_history.csv"
    jsonl_path = args.out_dir / "snowflake_query_history.jsonl"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r[k] is None else r[k]) for k in COLUMNS})
    with jsonl_path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({k: r[k] for k in COLUMNS}, ensure_ascii=False) + "\n")

    counts: dict[str, int] = {}
    for r in rows:
        for name, info in marts.items():
            if info["table"].lower() in r["QUERY_TEXT"].lower():
                counts[name] = counts.get(name, 0) + 1
    print(f"wrote {csv_path} ({csv_path.stat().st_size} bytes) and {jsonl_path} ({jsonl_path.stat().st_size} bytes)")
    print(f"  {len(rows)} statements, {sum(r['EXECUTION_STATUS'] == 'FAIL' for r in rows)} failed")
    print("  statements mentioning each mart: " + ", ".join(f"{k}={counts.get(k, 0)}" for k in sorted(marts)))


if __name__ == "__main__":
    main()
