"""Run seqviz for a class: N ``streamlit run`` replicas behind HAProxy, all on this machine.

    python deploy/run_class.py --replicas 4 --port 8501

Each replica is a Streamlit server with its own training engine; the machine's cores are split
between them (``SEQVIZ_WORKERS`` training processes each), so replicas do not fight over cores.
HAProxy (Debian's ``haproxy`` package) listens on ``--port`` and keeps each browser on the
replica that owns its session (``deploy/haproxy.cfg.in``). Ctrl-C stops everything.

For machines beyond one, ``deploy/compose.yaml`` and ``deploy/kubernetes.yaml`` describe the same
layout (replicas + HAProxy with cookie affinity) for Docker Compose and Kubernetes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).resolve().parent / "haproxy.cfg.in"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def haproxy_config(port: int, replica_ports: list[int], stats_port: int) -> str:
    servers = "\n".join(f"    server r{i} 127.0.0.1:{p} cookie r{i} check inter 2s fall 3 rise 2"
                        for i, p in enumerate(replica_ports, 1))
    # a share code starts with its replica's name (SEQVIZ_REPLICA, seqviz.engine.share)
    follow = "\n".join(f"    use-server r{i} if {{ urlp(follow) -m beg -i r{i}- }}"
                       for i in range(1, len(replica_ports) + 1))
    return (TEMPLATE.read_text().replace("@PORT@", str(port)).replace("@SERVERS@", servers)
            .replace("@FOLLOW@", follow).replace("@STATS_PORT@", str(stats_port)))


@dataclass
class Class:
    """Replicas and the load balancer of one class; ``stop()`` ends them all."""

    url: str
    replicas: list[subprocess.Popen]
    replica_urls: list[str]
    haproxy: subprocess.Popen
    workdir: Path
    logs: list[Path] = field(default_factory=list)

    def stop_replica(self, i: int) -> None:
        proc = self.replicas[i]
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()

    def stop(self) -> None:
        for proc in [self.haproxy, *self.replicas]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [self.haproxy, *self.replicas]:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with code {proc.returncode}")
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer its health check in {timeout:.0f} s")


def _wait_all_up(stats: str, names: list[str], proc: subprocess.Popen, timeout: float) -> None:
    """Until HAProxy's own checks have every replica UP (its stats as CSV). A replica that was
    still warming up when HAProxy started is DOWN there for a few checks after it answers, and
    HAProxy sends its sessions elsewhere meanwhile."""
    deadline = time.time() + timeout
    status: dict[str, str] = {}
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"HAProxy exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(stats + "/;csv", timeout=2) as resp:
                rows = [line.split(",") for line in resp.read().decode().splitlines()]
            head = rows[0]
            col_name, col_status = head.index("svname"), head.index("status")
            status = {r[col_name]: r[col_status] for r in rows[1:] if len(r) > col_status}
            if all(status.get(n, "").startswith("UP") for n in names):
                return
        except (OSError, ValueError, IndexError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"HAProxy did not see every replica up in {timeout:.0f} s: {status}")


def start_class(replicas: int, port: int | None = None, workers: int | None = None,
                timeout: float = 300.0, quiet: bool = True) -> Class:
    """Start ``replicas`` servers and HAProxy on 127.0.0.1; returns once all answer and HAProxy
    has every one of them up."""
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        raise RuntimeError("HAProxy is not installed (Debian: apt-get install -y haproxy)")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    per_replica = workers or max(1, (cores or 1) // replicas)
    workdir = Path(tempfile.mkdtemp(prefix="seqviz-class-"))
    ports = [free_port() for _ in range(replicas)]
    procs, logs = [], []
    for i, p in enumerate(ports, 1):
        log = workdir / f"replica{i}.log"
        logs.append(log)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
             "--server.port", str(p), "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=log.open("wb") if quiet else None, stderr=subprocess.STDOUT,
            env={**os.environ, "SEQVIZ_WORKERS": str(per_replica), "PYTHONUNBUFFERED": "1",
                 "SEQVIZ_REPLICA": f"r{i}"}))
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    port = port or free_port()
    cfg = workdir / "haproxy.cfg"
    stats_port = free_port()
    cfg.write_text(haproxy_config(port, ports, stats_port))
    check = subprocess.run([haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True)
    if check.returncode != 0:
        for proc in procs:
            proc.terminate()
        raise RuntimeError("HAProxy refused its configuration: " + check.stdout + check.stderr)
    balancer = subprocess.Popen([haproxy, "-f", str(cfg), "-db"], cwd=workdir,
                                stdout=(workdir / "haproxy.log").open("wb"),
                                stderr=subprocess.STDOUT)
    started = Class(f"http://127.0.0.1:{port}", procs, urls, balancer, workdir, logs)
    try:
        for url, proc in zip(urls, procs):
            _wait_healthy(url, proc, timeout)
        _wait_healthy(started.url, balancer, 30)
        _wait_all_up(f"http://127.0.0.1:{stats_port}", [f"r{i}" for i in range(1, replicas + 1)],
                     balancer, 60)
    except Exception:
        started.stop()
        raise
    return started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--workers", type=int, default=None,
                        help="training processes per replica (default: cores / replicas)")
    args = parser.parse_args(argv)
    started = start_class(args.replicas, args.port, args.workers, quiet=False)
    print(f"seqviz for a class: {started.url} ({args.replicas} replicas: "
          f"{', '.join(started.replica_urls)})", flush=True)
    signal.signal(signal.SIGTERM, lambda *_a: sys.exit(0))
    try:
        while all(p.poll() is None for p in [started.haproxy]):
            time.sleep(1)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        started.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
