"""Seeded construction: the same spec and seed give the same initial weights, and the global
torch RNG is left exactly as it was (other sessions' code does not see the seed)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield
