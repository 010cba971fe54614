"""Daily KPI snapshots, so trends are one cheap query, and the KPIs that crossed their target since the last one.

The nightly flow writes one snapshot a day: for each level (all tickets, each team, each channel, each agent) and
each KPI, the value over the tickets that started in the `window_days` days ending on that day (7 by default, so
a day's figure is a rolling week and `day` vs `day - 7` is week over week). Rewriting a day replaces its rows.
FCR of the window's last days is provisional: a repeat contact may still come in the next 7 days.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

from qa_engine.kpi.definitions import KPI_NAMES, compute_kpis
from qa_engine.kpi.facts import load_facts
from qa_engine.kpi.targets import KpiSettings, Status, load_settings
from qa_engine.store import Store

SNAPSHOT_LEVELS: dict[str, str | None] = {
    "all": None,
    "team": "team",
    "channel": "channel",
    "agent": "agent_id",
}
# per agent, one day's noise would flood the run summary
CROSSING_LEVELS: tuple[str, ...] = ("all", "team", "channel")
DEFAULT_WINDOW_DAYS = 7

SNAPSHOT_SCHEMA: dict[str, pl.DataType] = {
    "day": pl.Date(), "window_days": pl.Int64(), "group_by": pl.String(), "group_key": pl.String(),
    "kpi": pl.String(), "value": pl.Float64(), "tickets": pl.Int64(), "computed_at": pl.Datetime("us", "UTC"),
}  # fmt: skip


@dataclass(frozen=True)
class Crossing:
    """A KPI of one group that met its target in the previous snapshot and misses it now, or the other way."""

    kpi: str
    group_by: str
    group_key: str | None
    previous_day: date
    previous_value: float
    day: date
    value: float
    target: str  # e.g. "≥ 0.95"
    now: Status

    def as_dict(self) -> dict[str, object]:
        """JSON-ready (the nightly run summary carries these)."""
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self).items()}

    def describe(self) -> str:
        group = "all tickets" if self.group_by == "all" else f"{self.group_by} {self.group_key}"
        return (
            f"{group}: {self.kpi} {self.previous_value:.4g} ({self.previous_day}) -> {self.value:.4g} ({self.day}), "
            f"target {self.target}: now {self.now}"
        )


def snapshot_frame(
    store: Store, day: date, settings: KpiSettings, window_days: int = DEFAULT_WINDOW_DAYS
) -> pl.DataFrame:
    """The snapshot rows of `day` (SNAPSHOT_SCHEMA), one per level, group and KPI."""
    if window_days < 1:
        raise ValueError(f"window_days must be 1 or more, got {window_days}")
    facts, _ = load_facts(
        store,
        settings.sla_seconds,
        day - timedelta(days=window_days - 1),
        day,
        active_cap=settings.active_cap,
        business_hours=settings.business_hours,
    )
    now = datetime.now(UTC)
    parts = []
    for level, column in SNAPSHOT_LEVELS.items():
        kpis = compute_kpis(facts, column, settings.agent_hour_cost)
        key = pl.lit(None, dtype=pl.String) if column is None else pl.col(column)
        parts.append(
            kpis.with_columns(pl.col(KPI_NAMES).cast(pl.Float64), group_key=key, group_tickets=pl.col("tickets"))
            .unpivot(index=["group_key", "group_tickets"], on=list(KPI_NAMES), variable_name="kpi", value_name="value")
            .select(
                day=pl.lit(day), window_days=pl.lit(window_days, dtype=pl.Int64), group_by=pl.lit(level),
                group_key="group_key", kpi="kpi", value="value", tickets="group_tickets", computed_at=pl.lit(now),
            )
        )  # fmt: skip
    return pl.concat(parts).cast(SNAPSHOT_SCHEMA)


def write_snapshot(
    db: str | Path | Store,
    day: date,
    settings: KpiSettings | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> int:
    """Compute and store the snapshot of `day`, replacing an earlier one of the same day and window; returns rows."""
    store = db if isinstance(db, Store) else Store(db)
    settings = settings if settings is not None else load_settings()
    rows = snapshot_frame(store, day, settings, window_days)
    store.init()  # a store from before snapshots existed gets the table
    with store.connect() as con:
        con.begin()
        try:
            con.execute("DELETE FROM kpi_snapshots WHERE day = ? AND window_days = ?", [day, window_days])
            con.register("snapshot_rows", rows.to_arrow())
            con.execute("INSERT INTO kpi_snapshots BY NAME SELECT * FROM snapshot_rows")
            con.unregister("snapshot_rows")
            con.commit()
        except Exception:
            con.rollback()
            raise
    return rows.height


def read_snapshots(
    db: str | Path | Store,
    group_by: str = "all",
    since: date | None = None,
    until: date | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> pl.DataFrame:
    """Stored snapshot rows of one level (`day, group_key, kpi, value, tickets`), oldest first: the trend charts."""
    store = db if isinstance(db, Store) else Store(db)
    with store.connect(read_only=True) as con:
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
        if "kpi_snapshots" not in {row[0] for row in tables}:
            return pl.DataFrame(
                schema={k: SNAPSHOT_SCHEMA[k] for k in ("day", "group_key", "kpi", "value", "tickets")}
            )
        frame = con.sql(
            "SELECT day, group_key, kpi, value, tickets FROM kpi_snapshots WHERE group_by = ? AND window_days = ? "
            "AND day >= coalesce(?::DATE, DATE '0001-01-01') AND day <= coalesce(?::DATE, DATE '9999-12-31') "
            "ORDER BY day, group_key NULLS LAST, kpi",
            params=[group_by, window_days, since, until],
        ).pl()
    return frame.cast({"day": pl.Date, "tickets": pl.Int64, "value": pl.Float64})


def crossed_targets(
    db: str | Path | Store,
    day: date,
    settings: KpiSettings | None = None,
    levels: tuple[str, ...] = CROSSING_LEVELS,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> list[Crossing]:
    """KPIs whose status against today's targets differs between the snapshot of `day` and the latest snapshot
    before it (same window). A figure with nothing to measure on either side crosses nothing."""
    settings = settings if settings is not None else load_settings()
    frames = [read_snapshots(db, level, until=day, window_days=window_days).with_columns(group_by=pl.lit(level))
              for level in levels]  # fmt: skip
    snapshots = pl.concat(frames).filter(pl.col("kpi").is_in(list(settings.targets)))
    days = sorted(d for d in snapshots["day"].unique().to_list() if d <= day)
    if not days or days[-1] != day or len(days) < 2:
        return []
    previous_day = days[-2]
    today = snapshots.filter(pl.col("day") == day)
    before = snapshots.filter(pl.col("day") == previous_day).select(
        "group_by", "group_key", "kpi", previous_value="value"
    )
    joined = today.join(before, on=["group_by", "group_key", "kpi"], how="inner", nulls_equal=True)
    crossings = []
    for row in joined.sort("group_by", "group_key", "kpi", nulls_last=True).iter_rows(named=True):
        now = settings.status(row["kpi"], row["value"])
        then = settings.status(row["kpi"], row["previous_value"])
        if now is not None and then is not None and now != then:
            crossings.append(
                Crossing(
                    kpi=row["kpi"], group_by=row["group_by"], group_key=row["group_key"], previous_day=previous_day,
                    previous_value=row["previous_value"], day=day, value=row["value"],
                    target=settings.targets[row["kpi"]].describe(), now=now,
                )
            )  # fmt: skip
    return crossings


def nightly_snapshot(
    db: str | Path | Store, day: date | None = None, settings: KpiSettings | None = None
) -> list[Crossing]:
    """The nightly step: write the snapshot of `day` (default: yesterday, UTC) and return what crossed its target
    since the previous snapshot; nothing when the store does not exist yet."""
    store = db if isinstance(db, Store) else Store(db)
    if not store.path.exists():  # nothing scored yet: nothing to snapshot
        return []
    day = day or (datetime.now(UTC).date() - timedelta(days=1))
    settings = settings if settings is not None else load_settings()
    write_snapshot(store, day, settings)
    return crossed_targets(store, day, settings)
