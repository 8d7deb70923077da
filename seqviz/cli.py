"""The ``seqviz`` command (installed by ``pip install -e .``).

    seqviz run [streamlit options]   start the app, e.g. ``seqviz run --server.port 8600``
    seqviz --version

``run`` starts ``streamlit run app.py`` from the checkout the package lives in (the pages and
``.streamlit/config.toml`` are there, next to ``seqviz/``), passing every option after ``run`` to
Streamlit. It becomes ``streamlit run`` (``os.execv`` on Linux and macOS), so the core still never
imports Streamlit, and a signal that stops ``seqviz run`` (Ctrl+C, ``kill``, a service manager's
stop) reaches the server itself: as a child process it outlived a terminated ``seqviz run``,
with its engine workers. Elsewhere it runs as a child that is told to stop when its parent is.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def app_path() -> Path | None:
    """``app.py`` of the checkout this package was installed from (editable install)."""
    app = CHECKOUT / "app.py"
    return app if app.is_file() and (CHECKOUT / "pages").is_dir() else None


def run_command(options: list[str]) -> list[str]:
    app = app_path()
    assert app is not None
    return [sys.executable, "-m", "streamlit", "run", str(app), *options]


def main(argv: list[str] | None = None) -> int:
    from importlib.metadata import PackageNotFoundError, version

    parser = argparse.ArgumentParser(
        prog="seqviz", description="seqviz, a lab for recurrent neural networks.",
        epilog="Every option after 'run' goes to 'streamlit run', e.g. "
               "'seqviz run --server.port 8600 --server.headless true'.")
    try:
        ver = version("seqviz")
    except PackageNotFoundError:
        ver = "not installed"
    parser.add_argument("--version", action="version", version=f"seqviz {ver}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the app (options after 'run' go to streamlit run)",
                   add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "run":
        if app_path() is None:
            print(f"seqviz run: no app.py and pages/ next to the package in {CHECKOUT}. Install "
                  "seqviz from a checkout of its repository with 'pip install -e .' (the pages "
                  "live in the checkout, not in the package).", file=sys.stderr)
            return 2
        return _become(run_command(rest))
    return 2


def _become(cmd: list[str]) -> int:
    """Run ``cmd`` from the checkout in place of this process (POSIX); elsewhere as a child
    that gets this process's SIGTERM and whose exit code is returned."""
    if os.name == "posix":
        os.chdir(CHECKOUT)
        os.execv(cmd[0], cmd)  # does not return
    proc = subprocess.Popen(cmd, cwd=CHECKOUT)
    signal.signal(signal.SIGTERM, lambda signum, frame: proc.terminate())
    try:
        return proc.wait()
    except KeyboardInterrupt:  # Ctrl+C reached the server too: let it finish stopping
        proc.wait()
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
