import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # AppTest and the browser tests resolve page paths from the repo root
torch.set_num_threads(1)


@pytest.fixture
def tiny_text() -> str:
    return ("the cat sat on the mat. the dog sat on the log. " * 40).strip()
