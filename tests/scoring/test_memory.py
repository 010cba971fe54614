"""The GC skips the objects alive when a stage starts, and still collects the stage's cyclic garbage."""

from __future__ import annotations

import gc

import pytest

from qa_engine.memory import frozen_heap


def test_frozen_heap_freezes_what_is_alive_and_hands_it_back() -> None:
    before = gc.get_freeze_count()
    with frozen_heap():
        assert gc.get_freeze_count() > before  # the objects alive on entry are out of the collections
    assert gc.get_freeze_count() == before


def test_frozen_heap_hands_objects_back_when_the_stage_fails() -> None:
    before = gc.get_freeze_count()
    with pytest.raises(RuntimeError), frozen_heap():
        raise RuntimeError("a stage failed")
    assert gc.get_freeze_count() == before


def test_cyclic_garbage_made_during_a_frozen_stage_is_still_collected() -> None:
    import weakref

    class Node:
        pass

    with frozen_heap():
        node = Node()
        node.self = node  # a cycle: only the cyclic GC can free it
        alive = weakref.ref(node)
        del node
    gc.collect()
    assert alive() is None
