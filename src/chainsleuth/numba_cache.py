"""Keep numba's on-disk cache honest across modules.

numba's ``cache=True`` re-validates a cached kernel against the source file that defines
it only. A kernel that calls a compiled function from another module (the block walker
calls :func:`chainsleuth.chain.script.classify_one`) would keep running the old callee
after that module changes. :func:`drop_stale` removes such cache entries at import.
"""

from __future__ import annotations

import os
from pathlib import Path


def drop_stale(module_file: str, *dependencies: str) -> int:
    """Delete the cache entries of ``module_file`` older than any of ``dependencies``.

    Returns how many files were removed. Only the default cache location (``__pycache__``
    beside the module) is looked at; ``NUMBA_CACHE_DIR`` users manage their own.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return 0
    module = Path(module_file)
    newest = max(Path(d).stat().st_mtime for d in dependencies)
    removed = 0
    for entry in (module.parent / "__pycache__").glob(f"{module.stem}.*.nb[ic]"):
        try:
            if entry.stat().st_mtime < newest:
                entry.unlink()
                removed += 1
        except FileNotFoundError:  # another process removed it first
            continue
    return removed
