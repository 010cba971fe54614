"""Repeat contacts: order references from metadata and text, the 7-day window, and earlier runs in the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from qa_engine.reasons.history import CONTACT_COLUMNS, find_repeats, order_refs, stored_contacts
from qa_engine.store import Store

T0 = datetime(2026, 11, 3, 15, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("metadata", "texts", "expected"),
    [
        ('{"order_id": "112-7730561-2048813"}', [], ["11277305612048813"]),
        (None, ["second time about order 112-7730561-2048813!"], ["11277305612048813"]),
        (None, ["charged twice for the same order (113-4418207-5539216)"], ["11344182075539216"]),
        (None, ["Bestellung 10105862274431, ein Mantel"], ["10105862274431"]),
        (None, ["Merci d'annuler ma commande n° 88213"], ["88213"]),
        (None, ["注文番号 364120-20261112-0690337148 です"], ["364120202611120690337148"]),
        (None, ["订单号：２０２６１１２３１２３４５"], ["2026112312345"]),  # full-width digits
        # phone numbers, post codes, quantities and borders are not orders
        (None, ["电话090-1234-5678，邮编10115", "I ordered 12 units", "border 123456"], []),
        ('{"order_id": "A-1"}', ["order A-1"], ["A1"]),  # metadata is trusted as given
        ("not json", [], []),
    ],
)
def test_order_refs(metadata: str | None, texts: list[str], expected: list[str]) -> None:
    assert order_refs(metadata, texts) == expected


def contacts(*rows: tuple[str, str | None, datetime | None, list[str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [dict(zip(CONTACT_COLUMNS, row, strict=True)) for row in rows], schema=CONTACT_COLUMNS, orient="row"
    )


def test_repeat_within_the_window_same_customer_same_order() -> None:
    batch = contacts(
        ("T-1", "c-1", T0, ["O1"]),
        ("T-2", "c-1", T0 + timedelta(days=4), ["O1"]),  # repeat of T-1
        ("T-3", "c-1", T0 + timedelta(days=5), ["O2"]),  # another order
        ("T-4", "c-2", T0 + timedelta(days=5), ["O1"]),  # another customer
        ("T-5", "c-1", T0 + timedelta(days=14), ["O1"]),  # 8 days after T-6, the latest contact about O1
        ("T-6", "c-1", T0 + timedelta(days=6), ["O1", "O2"]),  # latest earlier contact wins: T-3 (day 5)
        ("T-7", "c-1", None, ["O1"]),  # no start time: cannot be placed in time
    )
    found = find_repeats(batch, batch, window_days=7)
    assert dict(zip(found["ticket_id"], found["previous_ticket_id"], strict=True)) == {
        "T-2": "T-1",
        "T-6": "T-3",
    }
    # the window bound is inclusive, and only earlier contacts count (re-scoring T-1 never repeats T-2)
    wider = find_repeats(batch, batch, window_days=8)
    assert wider.filter(pl.col("ticket_id") == "T-5")["previous_ticket_id"].to_list() == ["T-6"]


def test_earlier_runs_in_the_store_count(tmp_path: Path) -> None:
    store = Store(tmp_path / "qa.duckdb")
    store.init()
    stored = pl.DataFrame(
        {
            "ticket_id": ["T-old", "T-older", "T-meta"],
            "customer_id": ["c-1", "c-1", "c-1"],
            "started_at": [T0, T0 - timedelta(days=30), T0 + timedelta(days=1)],
            "metadata": [None, None, '{"order_id": "O-9"}'],
            "order_refs": [["O1"], ["O1"], None],  # T-meta: stored before order refs were kept
        },
        schema_overrides={"started_at": pl.Datetime("us", "UTC")},
    )
    empty = pl.DataFrame()
    store.write_results(stored, empty.clear(), empty.clear())
    batch = contacts(("T-new", "c-1", T0 + timedelta(days=3), ["O1", "O9"]))
    earlier = stored_contacts(store, batch, window_days=7)
    assert sorted(earlier["ticket_id"]) == ["T-meta", "T-old"]  # T-older is outside the window
    assert earlier.filter(pl.col("ticket_id") == "T-meta")["order_refs"].to_list() == [["O9"]]
    found = find_repeats(batch, pl.concat([earlier, batch]), window_days=7)
    assert found.row(0, named=True)["previous_ticket_id"] == "T-meta"  # the latest earlier contact
    assert stored_contacts(None, batch, 7).height == 0
