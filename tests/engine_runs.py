"""Runs for the engine tests: built in a worker process from these import strings."""

from __future__ import annotations

import time


class Counter:
    """Counts steps; records the live ``lr`` each step saw; can fail at a chosen step."""

    def __init__(self, fail_at: int | None = None, step_s: float = 0.0, lr: float = 1.0,
                 halt_at: int | None = None):
        self.steps, self.lr, self.lrs = 0, lr, []
        self.fail_at, self.step_s, self.halt_at = fail_at, step_s, halt_at

    def step(self, n: int = 1) -> None:
        for _ in range(n):
            if self.fail_at is not None and self.steps + 1 == self.fail_at:
                raise ValueError(f"boom at step {self.fail_at}")
            if self.step_s:
                time.sleep(self.step_s)
            self.steps += 1
            self.lrs.append(self.lr)

    def apply_live(self, cfg: dict) -> None:
        self.lr = cfg["lr"]

    def view(self) -> dict:
        return {"steps": self.steps, "lrs": list(self.lrs)}

    def halt(self) -> str | None:
        return "halted on purpose" if self.halt_at is not None and self.steps == self.halt_at \
            else None

    def echo(self, value, times: int = 1):
        return [value] * times


def counter(**kwargs) -> Counter:
    return Counter(**kwargs)


def broken(**kwargs) -> Counter:
    raise RuntimeError("cannot build this run")
