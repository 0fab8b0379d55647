"""One BLAS thread per process: the studio's matrices are small, and OpenBLAS's spinning threads cost more than they do.
Also gc_paused, which training steps run under (the collector is process-wide, like the BLAS threads).

Measured on this 2-core machine (docs/benchmarks.md): a compiled step of 2-32-32-1 on 1,000 points took 75 ms with
OpenBLAS's default threads under load and 10 ms with one; the live server spent most of its CPU spinning.
Sweep workers get the same through their environment (micrograd.studio.cluster).
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

# read by a BLAS when it loads: covers the copies loaded after the limit below (SciPy's OpenBLAS, say)
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@cache
def one_blas_thread() -> None:
    """Limit BLAS to one thread in this process, for the libraries loaded now and later (once; later calls do
    nothing)."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]  # installed with scikit-learn

    for name in BLAS_THREAD_VARIABLES:
        os.environ[name] = "1"
    threadpool_limits(limits=1, user_api="blas")


_gc_lock = threading.Lock()
_gc_depth = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic GC while building big graphs; safe to nest and to use from many threads.

    ``gc.disable()`` is process-wide, so a counter restores the collector only when the last user
    leaves, and only if it was enabled when the first one came in.
    """
    global _gc_depth, _gc_was_enabled
    with _gc_lock:
        if _gc_depth == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_was_enabled:
                gc.enable()


@cache
def freeze_startup() -> None:
    """Once per process, when its modules are loaded: collect, then leave every object alive now out of the
    collector's scans (gc.freeze). A full collection of the live server scanned ~190,000 objects, nearly all of them
    its modules', in ~130 ms; a server serving a class keeps them for its whole life anyway. Later calls do nothing."""
    gc.collect()
    gc.freeze()
