"""Remote hosts: what `axi sessions --host all` costs with two online hosts, and whether bare
`axi` (the dashboard) costs more with hosts configured. Two throw-away "machines" (HOMEs with
the recorded corpus, each its own AXI_HOME) are reached through a plain argv transport, or
through a real sshd on 127.0.0.1 when `--ssh` is given and one is installed (with ssh's own
ControlMaster reuse, the user's option, when `--control-master`).

    python bench/hosts.py [--runs 15] [--ssh] [--control-master]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AXI = str(Path(sys.executable).with_name("axi"))
SH = "sh -c 'exec \"$@\"' sh"


def machine(base: Path) -> dict:
    home = base / "home"
    for harness in ("claude", "codex", "opencode", "pi"):
        shutil.copytree(ROOT / "tests" / "corpus" / harness / "home", home, dirs_exist_ok=True)
    return {"HOME": str(home), "AXI_HOME": str(base / "state")}


def remote_axi(env: dict) -> str:
    return shlex.join(["env", *(f"{k}={v}" for k, v in env.items()), AXI])


def timed(argv: list[str], env: dict, runs: int) -> list[float]:
    subprocess.run(argv, env=env, capture_output=True, check=True)  # warm the indexes
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=True)
        out.append((time.perf_counter() - start) * 1000)
    return out


def launch_on(base: Path, env: dict) -> str:
    """A session on the fake harness (tests/control), held on that machine: for the control
    verbs' round trips."""
    sys.path.insert(0, str(ROOT / "tests"))
    from control_support import fake_config

    fake_config(Path(env["AXI_HOME"]))
    proj = base / "proj"
    proj.mkdir(exist_ok=True)
    import json

    done = subprocess.run([AXI, "sessions", "new", "claude", "bench", "--format", "json"],
                          env={**os.environ, **env}, cwd=proj, capture_output=True, check=True)
    return json.loads(done.stdout)["id"][:8]


def ssh_transport(base: Path, control_master: bool) -> tuple[str, subprocess.Popen]:
    sys.path.insert(0, str(ROOT / "tests" / "remote"))
    from hostkit import Sshd, free_port

    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / name)],
                       check=True)
    shutil.copy(base / "client_key.pub", base / "authorized_keys")
    port = free_port()
    import getpass

    (base / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {base / 'host_key'}\n"
        f"AuthorizedKeysFile {base / 'authorized_keys'}\nStrictModes no\nUsePAM no\n"
        f"PasswordAuthentication no\nPidFile {base / 'pid'}\nLogLevel ERROR\n")
    os.makedirs("/run/sshd", exist_ok=True)
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    proc = subprocess.Popen([sshd, "-D", "-e", "-f", str(base / "sshd_config")])
    time.sleep(0.5)
    transport = Sshd(port, base / "client_key", getpass.getuser()).transport()
    if control_master:
        sock = base / "cm-%C"
        transport = transport.replace("ssh -T", f"ssh -T -o ControlMaster=auto "
                                      f"-o ControlPath={sock} -o ControlPersist=60", 1)
    return transport, proc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--ssh", action="store_true")
    parser.add_argument("--control-master", action="store_true")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="axi-bench-hosts-"))
    sshd = None
    try:
        local = {**os.environ, **machine(base / "local")}
        for var in ("XDG_STATE_HOME", "XDG_CONFIG_HOME", "AXI_CONFIG"):
            local.pop(var, None)
        transport = SH
        if args.ssh:
            transport, sshd = ssh_transport(base, args.control_master)
        dashboard_before = timed([AXI], local, args.runs)
        boxes = {}
        for name in ("box1", "box2"):
            boxes[name] = machine(base / name)
            subprocess.run([AXI, "hosts", "add", name, "--transport", transport, "--axi",
                            remote_axi(boxes[name])], env=local, check=True,
                           capture_output=True)
        launched = launch_on(base / "box1", boxes["box1"])
        verbs = {f"{' '.join(argv)}": timed([AXI, *argv], local, args.runs) for argv in (
            ["sessions", "view", "box1/d1c9ea04"], ["sessions", "read", "box1/d1c9ea04"],
            ["sessions", "search", "files", "--host", "box1"],
            ["usage", "--host", "box1"], ["runs", "--host", "box1"],
            ["sessions", "result", f"box1/{launched}"],
            ["sessions", "type", f"box1/{launched}", "more"],
            ["sessions", "tag", f"box1/{launched}", "--label", "bench"])}
        subprocess.run([AXI, "sessions", "kill", f"box1/{launched}"], env=local,
                       capture_output=True)
        rows = {
            "sessions --host local": timed([AXI, "sessions", "--all", "--host", "local"],
                                           local, args.runs),
            "sessions --host all (2 hosts)": timed([AXI, "sessions", "--all", "--host", "all"],
                                                   local, args.runs),
            "one host's round trip (hosts check box1)": timed([AXI, "hosts", "check", "box1"],
                                                              local, args.runs),
            "dashboard, no hosts": dashboard_before,
            "dashboard, 2 hosts configured (with their cached line)": timed([AXI], local,
                                                                            args.runs),
            **{f"routed: {k}": v for k, v in verbs.items()},
        }
        print(f"transport: {transport.split()[0]}"
              + (" + ControlMaster" if args.control_master else ""))
        print("| call | median ms | p90 ms |\n|---|---|---|")
        for what, ms in rows.items():
            p90 = sorted(ms)[int(len(ms) * 0.9) - 1]
            print(f"| {what} | {statistics.median(ms):.0f} | {p90:.0f} |")
    finally:
        if args.control_master and sshd is not None:
            words = shlex.split(transport)  # the master it left behind, by its control path
            subprocess.run([*words[:-1], "-O", "exit", words[-1]], capture_output=True)
        if sshd is not None:
            sshd.terminate()
            sshd.wait()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
