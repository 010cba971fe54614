"""Model backends for the affect stage: the embedded default and any Hugging Face classifier."""

from __future__ import annotations

import functools

from qa_engine.affect.backends.base import Backend, Predictions
from qa_engine.affect.registry import ModelSpec


@functools.lru_cache(maxsize=8)
def _cached(key: str, spec_json: str) -> Backend:
    spec = ModelSpec.model_validate_json(spec_json)
    if spec.kind == "embedded":
        from qa_engine.affect.backends.embedded_backend import EmbeddedBackend

        return EmbeddedBackend(spec)
    from qa_engine.affect.backends.hf_backend import HuggingFaceBackend

    return HuggingFaceBackend(spec)


def get_backend(spec: ModelSpec) -> Backend:
    """One loaded backend per distinct model in a process (loading costs seconds)."""
    return _cached(spec.key, spec.model_dump_json())


__all__ = ["Backend", "Predictions", "get_backend"]
