"""Running an exported standalone script (Take it home) the way a student would: a clean
interpreter (``-I``, no seqviz on the path, one thread), in a temporary folder."""

from __future__ import annotations

import re
import subprocess
import sys


def exported_output(text: str, tmp_path, steps: int, *args: str) -> str:
    """The script's standard output after ``--steps steps`` (and ``args``); fails the test if
    the script imports seqviz or exits with an error."""
    assert not re.search(r"^\s*(import|from)\s+seqviz", text, re.M)  # plain PyTorch
    path = tmp_path / "exported.py"
    path.write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, "-I", str(path), "--steps", str(steps), *args],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path,
                         env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout
