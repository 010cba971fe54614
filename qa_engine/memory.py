"""Memory habits of a long batch job: give freed model memory back to the OS, keep the GC off old objects.

The affect model allocates and frees tens of megabytes per batch of texts, in shapes that change with every
batch. glibc's malloc keeps freed heap pages for reuse, and with shapes that never repeat they stay mapped: the
process's resident memory grows by hundreds of megabytes over a nightly run (measured: about 640 MB after four
passes of 4,000 texts, all of it free). `malloc_trim` hands those pages back; it costs a few milliseconds. On a
C library without it (musl, macOS) this does nothing.

A scoring batch holds some 770,000 Python objects (Docs' caches, turns, outcomes) and allocates many more; each
full collection of the cyclic GC walks them all, for 0.1-0.2 s, several times a batch, and finds nothing to
free. `frozen_heap` leaves the objects alive when a stage starts out of those walks (`gc.freeze`) and hands them
back afterwards, so garbage in cycles is still collected, one batch later.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_freed_memory() -> bool:
    """Return free heap pages to the OS (glibc `malloc_trim(0)`); True when something was released."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Objects alive on entry are not traversed by the GC's collections until exit (`gc.freeze`)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
