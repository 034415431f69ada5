"""Run a bulk codec test on each FF1 path: the compiled round arithmetic and the numpy passes."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from jianguan.codes import ff1

PATHS = ["compiled", "numpy"]


@contextlib.contextmanager
def bulk_path(name: str) -> Iterator[None]:
    """Within the block, the codec's bulk functions take the path ``name``."""
    kernel = ff1._KERNEL
    if name == "compiled" and kernel is None:
        pytest.skip("the compiled round arithmetic is not built here (no C compiler at install)")
    ff1._KERNEL = kernel if name == "compiled" else None
    try:
        yield
    finally:
        ff1._KERNEL = kernel
