"""seqviz as a package (issue 18): ``pip install -e .`` in a fresh venv gives the ``seqviz``
command, ``seqviz run`` starts the app, and the README's notebook example runs as a script."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser import answers, child_pids, free_port

ROOT = Path(__file__).resolve().parents[1]


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    marker = "<!-- README example: tests/test_package.py runs this block as a script -->"
    assert marker in text
    block = re.search(r"```python\n(.*?)```", text.split(marker, 1)[1], re.S)
    return block.group(1)


def test_the_readme_notebook_example_runs_as_a_script(tmp_path):
    script = tmp_path / "example.py"
    script.write_text(_readme_example(), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    first, last = map(float, re.search(r"loss ([\d.]+) -> ([\d.]+)", out.stdout).groups())
    assert last < first  # it trained
    assert "plotly" in (tmp_path / "loss.html").read_text(encoding="utf-8")[:5000].lower()
    assert "streamlit" not in out.stderr.lower()


def test_pip_install_editable_gives_the_seqviz_command(tmp_path):
    """A fresh venv (it sees this interpreter's packages, so nothing is downloaded: the tests
    run offline) installs the checkout editable, without build isolation."""
    from packaging.requirements import Requirement

    venv = tmp_path / "venv"
    # no pip of its own: the venv's bundled setuptools is too old to build an editable wheel
    # offline; this interpreter's pip installs into it and its setuptools builds
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                    str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    out = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install",
                          "--no-deps", "--no-build-isolation", "--no-index", "-e", str(ROOT)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    cmd = venv / "bin" / "seqviz"
    assert cmd.exists()
    version = subprocess.run([str(cmd), "--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.strip() == "seqviz 0.1.0", version.stdout + version.stderr
    meta = subprocess.run([str(py), "-c", "from importlib.metadata import requires; "
                           "print('\\n'.join(requires('seqviz')))"], capture_output=True,
                          text=True, timeout=60)

    def norm(line: str) -> tuple[str, str]:
        req = Requirement(line)
        return req.name.lower(), str(req.specifier)

    wanted = {norm(line.split("#")[0]) for line in
              (ROOT / "requirements.txt").read_text().splitlines() if line.split("#")[0].strip()}
    assert wanted == {norm(r) for r in meta.stdout.splitlines() if r.strip()}, meta.stdout


@pytest.mark.browser
def test_seqviz_run_starts_the_app_with_streamlit_options():
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "seqviz", "run", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--browser.gatherUsageStats", "false"], cwd="/",
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 300  # the server answers once warm
        while True:
            assert proc.poll() is None, "seqviz run exited"
            if answers(url):
                break
            assert time.monotonic() < deadline, "no answer from seqviz run"
            time.sleep(0.5)
    finally:
        started = _descendants(proc.pid)  # the server and its engine workers
        proc.terminate()
        proc.wait(60)
    # the signal reached the server itself: it stopped, with its engine workers (as a child
    # of ``seqviz run`` it outlived it and went on serving)
    try:
        deadline = time.monotonic() + 60
        while answers(url):
            assert time.monotonic() < deadline, "the server went on after seqviz run stopped"
            time.sleep(0.5)
        deadline = time.monotonic() + 60
        while left := [pid for pid in started if _running(pid)]:
            assert time.monotonic() < deadline, f"processes left running: {left}"
            time.sleep(0.5)
    finally:  # a failure leaves no server behind for the rest of the run
        for pid in started:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    """The processes ``pid`` started, and theirs."""
    return [d for c in child_pids(pid) for d in (c, *_descendants(c))]


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit status may wait for a reaper)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_seqviz_run_outside_a_checkout_says_what_to_do(monkeypatch, capsys, tmp_path):
    from seqviz import cli

    monkeypatch.setattr(cli, "CHECKOUT", tmp_path)
    assert cli.main(["run"]) == 2
    assert "pip install -e ." in capsys.readouterr().err
