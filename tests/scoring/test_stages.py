"""The declared stage list: its order is the data flow, and swapping or picking stages names them or fails clearly."""

from __future__ import annotations

import polars as pl
import pytest

from qa_engine.batch import Batch
from qa_engine.stages import SCORING, Context, only, with_stages


def test_the_stages_walk_from_language_to_suggestions_once_each() -> None:
    names = [stage.name for stage in SCORING]
    assert names == ["language", "nlp", "affect", "rules", "reasons", "scopes", "satisfaction", "tier", "privacy",
                     "suggestions"]  # fmt: skip
    # the Docs are built once, before every stage that reads them; affect comes before the rules that read it
    assert names.index("nlp") < names.index("rules") < names.index("reasons")
    assert [s.name for s in SCORING if s.freeze_heap] == ["nlp"]
    assert [s.name for s in SCORING if s.frees_memory] == ["affect"]


def test_with_stages_swaps_in_place_and_only_picks_in_order() -> None:
    def marked(batch: Batch, context: Context) -> Batch:
        return batch.but(counts={"marked": 1})

    swapped = with_stages(SCORING, affect=marked)
    assert [s.name for s in swapped] == [s.name for s in SCORING]
    assert swapped[2].run is marked and swapped[2].frees_memory
    empty = Batch(pl.DataFrame(), pl.DataFrame())
    assert swapped[2].run(empty, Context(engine=None)).counts == {"marked": 1}  # type: ignore[arg-type]
    assert empty.counts == {}  # a stage returns a new batch; the one it was given is unchanged
    assert [s.name for s in only(SCORING, "reasons", "language")] == ["language", "reasons"]


@pytest.mark.parametrize(
    "pick", [lambda: with_stages(SCORING, affekt=lambda b, c: b), lambda: only(SCORING, "tiers")]
)
def test_an_unknown_stage_name_lists_the_known_ones(pick) -> None:
    with pytest.raises(ValueError, match=r"no stage named (affekt|tiers); stages: \['language', 'nlp'"):
        pick()


def test_a_batch_is_frozen() -> None:
    batch = Batch(pl.DataFrame({"ticket_id": ["T-1"]}), pl.DataFrame())
    with pytest.raises(AttributeError):
        batch.tickets = pl.DataFrame()  # type: ignore[misc]
    assert not batch.scored and batch.but(results=pl.DataFrame()).scored
