"""Start-up benchmark: from launching `stsdesk` to its main window mapped on a real X server.

Launches the real console (``python -m stsdesk``, no arguments) under Xvfb, asks the X server
(Xlib through ctypes, one connection) every 5 ms whether its window is viewable, and records
the time. The embedded server starts behind the window, so it is not part of the figure; the
script then waits for the server's ready state and ends the console with SIGTERM, checking that
its embedded server ends with it (port closed), as the console promises.

One unmeasured warm-up start creates the data directory (first start: keys, database); then
RUNS measured starts reuse it, as a person's second and later starts do. The median, every
sample, and the conditions (cores, load average, Python, commit) go to
benchmarks/results/startup.json. Exit status 1 when the median is over GOAL_SECONDS.

Needs Xvfb, xdotool (to see that Xvfb answers) and libX11 (scripts/system-deps.sh installs them).
Usage: .venv/bin/python benchmarks/bench_startup.py   (about a minute)
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 1.5
RUNS = 5
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "startup.json"


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """An Xvfb, 1400x900 like the walk's screen, on a random high display number: the low ones
    (which -displayfd would pick) are where other programs on a shared machine go."""
    for _attempt in range(20):
        display = f":{random.randint(200, 899)}"  # noqa: S311 - not a secret
        if Path(f"/tmp/.X{display[1:]}-lock").exists():
            continue
        xvfb = subprocess.Popen(  # noqa: S603 - a fixed command
            ["Xvfb", display, "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while xvfb.poll() is None and time.monotonic() < deadline:
            if subprocess.run(["xdotool", "getmouselocation"],  # noqa: S603, S607
                              env=dict(os.environ, DISPLAY=display), capture_output=True,
                              check=False).returncode == 0:
                return xvfb, display
            time.sleep(0.1)
        xvfb.kill()
        xvfb.wait()
    raise SystemExit("Xvfb did not start")


class _WindowAttributes(ctypes.Structure):
    _fields_ = [
        ("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int),
        ("height", ctypes.c_int), ("border_width", ctypes.c_int), ("depth", ctypes.c_int),
        ("visual", ctypes.c_void_p), ("root", ctypes.c_ulong), ("class_", ctypes.c_int),
        ("bit_gravity", ctypes.c_int), ("win_gravity", ctypes.c_int),
        ("backing_store", ctypes.c_int), ("backing_planes", ctypes.c_ulong),
        ("backing_pixel", ctypes.c_ulong), ("save_under", ctypes.c_int),
        ("colormap", ctypes.c_ulong), ("map_installed", ctypes.c_int),
        ("map_state", ctypes.c_int), ("all_event_masks", ctypes.c_long),
        ("your_event_mask", ctypes.c_long), ("do_not_propagate_mask", ctypes.c_long),
        ("override_redirect", ctypes.c_int), ("screen", ctypes.c_void_p),
    ]


_IS_VIEWABLE = 2


class MapWatcher:
    """Asks the X server, over one connection, whether a top-level window is viewable.

    Polling with a new xdotool process every few milliseconds would itself load the two
    cores the console needs; one Xlib connection costs next to nothing per look. The Xvfb
    is fresh, so the first viewable top-level window is the console's.
    """

    def __init__(self, display: str) -> None:
        xlib = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        xlib.XOpenDisplay.restype = ctypes.c_void_p
        xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
        xlib.XDefaultRootWindow.restype = ctypes.c_ulong
        xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        xlib.XQueryTree.argtypes = [
            ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
            ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
            ctypes.POINTER(ctypes.c_uint)]
        xlib.XGetWindowAttributes.argtypes = [ctypes.c_void_p, ctypes.c_ulong,
                                              ctypes.POINTER(_WindowAttributes)]
        xlib.XFree.argtypes = [ctypes.c_void_p]
        xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self._xlib = xlib
        self._display = xlib.XOpenDisplay(display.encode())
        if not self._display:
            raise OSError(f"cannot open X display {display}")
        self._root = xlib.XDefaultRootWindow(self._display)

    def mapped(self) -> bool:
        xlib, display = self._xlib, self._display
        root, parent = ctypes.c_ulong(), ctypes.c_ulong()
        children = ctypes.POINTER(ctypes.c_ulong)()
        count = ctypes.c_uint()
        if not xlib.XQueryTree(display, self._root, ctypes.byref(root), ctypes.byref(parent),
                               ctypes.byref(children), ctypes.byref(count)):
            return False
        try:
            attributes = _WindowAttributes()
            for index in range(count.value):
                if (xlib.XGetWindowAttributes(display, children[index], ctypes.byref(attributes))
                        and attributes.map_state == _IS_VIEWABLE):
                    return True
            return False
        finally:
            if children:
                xlib.XFree(children)

    def close(self) -> None:
        self._xlib.XCloseDisplay(self._display)


def server_state(data_home: Path) -> dict[str, int] | None:
    try:
        state: dict[str, int] = json.loads(
            (data_home / "stsdesk" / "server" / "desktop-server.json").read_text())
        return state
    except (OSError, ValueError):
        return None


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time ``pid`` has used: a figure the machine's load barely moves."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_start(env: dict[str, str], data_home: Path,
              timeout: float = 60.0) -> tuple[float, float]:
    """Seconds from launch to the mapped window, and the CPU seconds the console used to get
    there; then stop the console and check that its server ends with it."""
    before = server_state(data_home)
    started = time.perf_counter()
    console = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "stsdesk"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    watcher = MapWatcher(env["DISPLAY"])
    try:
        while not watcher.mapped():
            if console.poll() is not None:
                raise SystemExit("the console exited before showing its window:\n"
                                 + console.stderr.read().decode(errors="replace")[-2000:]
                                 if console.stderr else "")
            if time.perf_counter() - started > timeout:
                raise SystemExit(f"no window within {timeout:.0f} s")
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(console.pid)
        # Wait for this start's server, so that the next start does not overlap with it.
        deadline = time.monotonic() + timeout
        while (state := server_state(data_home)) in (None, before):
            if time.monotonic() > deadline:
                raise SystemExit("the embedded server did not come up")
            time.sleep(0.05)
    finally:
        watcher.close()
        console.send_signal(signal.SIGTERM)
        console.wait(timeout=30)
    if state is not None:
        deadline = time.monotonic() + 20
        while port_open(state["port"]):
            if time.monotonic() > deadline:
                raise SystemExit(f"the embedded server outlived its console (port {state['port']})")
            time.sleep(0.05)
    return elapsed, cpu


def main() -> int:
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: run `bash scripts/system-deps.sh`", file=sys.stderr)
            return 2
    xvfb, display = start_xvfb()
    home = Path(tempfile.mkdtemp(prefix="stsdesk-bench-startup-"))
    env = dict(os.environ, DISPLAY=display, XDG_DATA_HOME=str(home / "data"),
               XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"),
               # No desktop session here: the console's no-keyring path (encrypted file).
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("WAYLAND_DISPLAY", None)
    try:
        warm_up, _cpu = one_start(env, home / "data")
        runs = [one_start(env, home / "data") for _ in range(RUNS)]
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)
    samples = [wall for wall, _cpu in runs]
    median = statistics.median(samples)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,  # noqa: S607
                            capture_output=True, text=True, check=False).stdout.strip()
    result = {
        "what": "launch of `python -m stsdesk` to its main window viewable (Xvfb; map state via Xlib)",
        "median_seconds": round(median, 3),
        "samples_seconds": [round(s, 3) for s in samples],
        "cpu_seconds_to_window_median": round(statistics.median(c for _w, c in runs), 3),
        "first_start_seconds": round(warm_up, 3),
        "goal_seconds": GOAL_SECONDS,
        "conditions": {
            "cores": os.cpu_count(),
            "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "platform": platform.platform(),
            "commit": commit,
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if median <= GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
