"""Train the sequence-tasks page's bundled models (seqviz/pretrained/seqtasks_*.pt): 600 steps
each from seed 0, evaluated every 50 steps, so the page opens with trained curves.

    python scripts/train_seqtasks.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seqviz.seqtasks.bundled import BUNDLED, STEPS, bundled_path, save  # noqa: E402
from seqviz.seqtasks.experiment import SeqTaskExperiment  # noqa: E402


def main() -> None:
    torch.set_num_threads(1)
    for name, cfg in BUNDLED.items():
        exp = SeqTaskExperiment.build(cfg)
        e = exp.train_to(STEPS, 50)
        save(exp, bundled_path(name))
        print(f"{name}: step {e.step}, training {100 * e.train_acc:.1f} %, "
              f"validation {100 * e.val_acc:.1f} % -> {bundled_path(name)}")


if __name__ == "__main__":
    main()
