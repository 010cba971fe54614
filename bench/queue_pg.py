"""The review queue (keyset pages, filters, counts) on a PostgreSQL store of N generated tickets.

    PYTHONPATH=. .venv/bin/python bench/queue_pg.py --url "$QA_TEST_PG_URL" --tickets 1000000

Makes a new database on the server of --url, creates the store's tables (`Store.init`), fills `tickets` (and one
`rule_results` row per ticket, a fail in one of ten) straight from `generate_series` (no scoring: this measures the
queue, not the models), runs ANALYZE, then times `fetch_queue` as the app calls it: the first page, twenty pages
deep by cursor, and the filters of the queue page. Each figure is the median of five runs, in milliseconds, page
query and tier counts together. The database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import date
from urllib.parse import urlsplit, urlunsplit

import psycopg

from qa_engine.review.db import ReviewDB
from qa_engine.review.queue import Cursor, QueueFilters, fetch_queue
from qa_engine.review.scope import Scope
from qa_engine.store import Store
from qa_engine.store.location import StoreUrl, describe

FILL = """
INSERT INTO tickets (ticket_id, agent_id, team, customer_id, channel, language, created_at, started_at, tier,
                     qa_score, tier_reasons, dissatisfaction_risk, escalation_risk, contact_reason, scored_at,
                     received_at, n_turns)
SELECT 'B-' || lpad(i::text, 7, '0'), 'a-' || (i %% 500), 'T' || (i %% 20), 'c-' || (i %% 200000),
       (ARRAY['chat', 'email', 'phone', 'social'])[1 + i %% 4], (ARRAY['en', 'de', 'fr', 'es', 'zh'])[1 + i %% 5],
       timestamptz '2025-06-01 00:00:00+00' + i * interval '31 seconds',
       timestamptz '2025-06-01 00:00:00+00' + i * interval '31 seconds',
       CASE WHEN i %% 10 = 0 THEN 'red' WHEN i %% 10 < 4 THEN 'yellow' ELSE 'green' END,
       (i * 7919) %% 100, ARRAY['generated'], ((i * 104729) %% 1000) / 1000.0, ((i * 15485863) %% 1000) / 1000.0,
       (ARRAY['logistics', 'returns', 'payment', 'other'])[1 + i %% 4], now(), now(), 6
FROM generate_series(1::bigint, %(n)s) AS i
"""
RULES = """
INSERT INTO rule_results (ticket_id, rule_id, outcome, category, weight, critical)
SELECT 'B-' || lpad(i::text, 7, '0'), 'closing_thanks', CASE WHEN i %% 10 = 3 THEN 'fail' ELSE 'pass' END,
       'closing', 1.0, false
FROM generate_series(1::bigint, %(n)s) AS i
"""


def timed(db: ReviewDB, filters: QueueFilters, repeats: int = 5) -> tuple[float, object]:
    times, page = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        page = fetch_queue(db, Scope("TRUE"), filters, 50)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a PostgreSQL server's URL (a database is made on it)")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument(
        "--keep", action="store_true", help="keep the database (its URL is printed, no password)"
    )
    args = parser.parse_args()
    name = f"qa_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(args.url)._replace(path=f"/{name}"))
    try:
        Store(StoreUrl(url)).init()
        start = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(FILL, {"n": args.tickets})
            con.execute(RULES, {"n": args.tickets})
            con.execute("ANALYZE")
            size = con.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
        print(
            f"{args.tickets:,} tickets into {describe(url)} in {time.perf_counter() - start:.1f} s ({size})"
        )
        db = ReviewDB(StoreUrl(url))
        cases = {
            "first page (all tiers)": QueueFilters(),
            "first page, sort=risk": QueueFilters(sort="risk"),
            "agent_id=a-17": QueueFilters(agent_id="a-17"),
            "team=T3, one month": QueueFilters(
                team="T3", date_from=date(2025, 8, 1), date_to=date(2025, 8, 31)
            ),
            "tier=green, channel=email": QueueFilters(tier="green", channel="email"),
            "language=de, contact_reason=returns": QueueFilters(language="de", contact_reason="returns"),
            "min_escalation_risk=0.9": QueueFilters(min_escalation_risk=0.9),
            "rule_id=closing_thanks (failed)": QueueFilters(rule_id="closing_thanks"),
        }
        for label, filters in cases.items():
            ms, page = timed(db, filters)
            print(f"  {label:<40} {ms:8.1f} ms  ({len(page.items)} items, counts {page.counts})")
        cursor, deep = None, []
        for _ in range(20):
            start = time.perf_counter()
            page = fetch_queue(
                db, Scope("TRUE"), QueueFilters(), 50, Cursor.decode(cursor) if cursor else None
            )
            deep.append((time.perf_counter() - start) * 1000)
            cursor = page.next_cursor
        print(f"  {'20 pages by cursor, per page (median)':<40} {statistics.median(deep):8.1f} ms")
    finally:
        if not args.keep:
            from qa_engine.store.pgconn import close_pool

            close_pool(url)
            with psycopg.connect(args.url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(f"kept {describe(url)}")


if __name__ == "__main__":
    main()
