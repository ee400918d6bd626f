"""Work spread over the machine's cores, each item in a fresh process."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T, R = TypeVar("T"), TypeVar("R")


def on_every_core(work: Callable[[T], R], items: list[T]) -> list[R]:
    """`work` over the items, in order, in fresh processes, one per core; in this process when
    there is one item or one core. Fresh (spawned) processes, not forks: the caller may hold a
    warehouse connection and Dagster's threads, which a fork would copy."""
    workers = min(len(items), os.cpu_count() or 1)
    if workers <= 1:
        return [work(item) for item in items]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(work, items))
