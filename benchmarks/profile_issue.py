"""Profile one worker of ``stsdesk serve --workers 2`` under the issuance benchmark's load.

py-spy (``pip install py-spy``; it needs ptrace rights over the worker, e.g. root) samples the
worker while wrk sends the benchmark's requests, and this prints where the worker's CPU goes:
the functions with the most samples on top of the stack (self) and anywhere on it (total).

Usage: .venv/bin/python benchmarks/profile_issue.py [--seconds 15] [--connections 16]
       [--hok] [--native] [--out profile.txt]
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import issue_load as load

from stsdesk.core.wstrust import KeyType


def summarise(collapsed: Path, top: int) -> str:
    """Self and total sample shares per function from py-spy's collapsed stacks."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = [frame for frame in stack.split(";") if not frame.startswith("process ")
                  and not frame.startswith("thread ")]
        if not frames:
            continue
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    lines = [f"{samples} samples on running threads", "", "self %  function"]
    lines += [f"{100 * n / samples:6.1f}  {frame}" for frame, n in own.most_common(top)]
    lines += ["", "total %  function"]
    lines += [f"{100 * n / samples:6.1f}  {frame}" for frame, n in total.most_common(top * 2)]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--hok", action="store_true", help="holder-of-key symmetric tokens")
    parser.add_argument("--native", action="store_true", help="C frames too (py-spy --native)")
    parser.add_argument("--all-threads", action="store_true",
                        help="every running thread, not only the one holding the GIL")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=Path, help="also write the summary here")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        print("py-spy is needed: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    data_dir = Path(tempfile.mkdtemp(prefix="stsdesk-profile-"))
    load.prepare_data_dir(data_dir)
    request = load.issue_request(
        key_type=KeyType.SYMMETRIC if args.hok else KeyType.BEARER,
        applies_to=load.HOK_AUDIENCE if args.hok else load.BEARER_AUDIENCE,
    )
    server = load.start_server(data_dir)
    collapsed = data_dir / "profile.collapsed"
    try:
        load.check_issue(server, request)
        load.run_wrk(server.sts_url, request, args.connections, 3)  # warm-up
        workers = load.worker_pids(server)
        cpu_before = load.cpu_seconds(workers)
        wrk = load.start_wrk(server.sts_url, request, args.connections, args.seconds)
        worker = workers[0]
        command = [py_spy, "record", "--pid", str(worker), "--duration",
                   str(max(1, args.seconds - 2)), "--rate", "250", "--format", "raw",
                   "--output", str(collapsed)]
        if args.native:
            command.append("--native")
        if not args.all_threads:
            # A worker's Python runs one thread at a time: the thread holding the GIL is where
            # its CPU goes (threads waiting for work or a lock are not samples then).
            command.append("--gil")
        subprocess.run(command, check=True, capture_output=True)
        result = load.finish_wrk(wrk, args.connections)
        # CPU per token moves far less with the machine's other load than tokens per second.
        cpu = load.cpu_seconds(workers) - cpu_before
        result["worker_cpu_ms_per_token"] = round(1000 * cpu / max(1, result["requests"]), 3)
    finally:
        server.stop()
    summary = f"wrk: {result}\n\n" + summarise(collapsed, args.top)
    print(summary)
    if args.out:
        args.out.write_text(summary + "\n")
    shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
