"""Profile one phase process: ``python -m benchmarks.profile throughput --mode signalhooks``.

Why py-spy first: the library delivers on a background thread, which pyinstrument (a
main-thread profiler) does not see; ``py-spy record --threads`` samples every thread
from outside the process without slowing it much. Without py-spy (``pip install
py-spy``) the phase runs under pyinstrument and only the caller's thread is shown.
Prints the hottest frames by self and inclusive time; ``--raw`` keeps the collapsed
stacks for a flame graph.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.runner import ROOT, phase_env, pinning
from tests.support.sink_process import SinkProcess

SINKS = {
    "throughput": ["http"],
    "fanout": ["http", "--delay", "0.05"],
    "caller": ["http", "--delay", "0.05"],
    "sns": ["sns"],
    "memory": ["blackhole"],
}


def summarize(raw: Path, top: int) -> str:
    """Self and inclusive sample shares per frame from py-spy's collapsed-stack output."""
    own: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] += n
        for frame in set(frames):
            incl[frame] += n
    out = [f"{total} samples", "-- self --"]
    out += [f"{n / total:6.1%}  {f[:140]}" for f, n in own.most_common(top)]
    out.append("-- inclusive --")
    out += [f"{n / total:6.1%}  {f[:140]}" for f, n in incl.most_common(top * 2)]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.profile",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("phase", choices=sorted(SINKS))
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--raw", type=Path, help="keep py-spy's collapsed stacks here")
    args, phase_args = parser.parse_known_args(argv)
    py_spy = shutil.which("py-spy") or shutil.which("py-spy", path=os.path.dirname(sys.executable))
    with SinkProcess(*SINKS[args.phase], prefix=pinning()["sink"], env=phase_env()) as sink:
        cmd = [sys.executable, "-m", f"benchmarks.phase_{args.phase}", *phase_args]
        cmd += ["--sink-url", sink.url]
        if py_spy is None:
            cmd[1:3] = ["-m", "pyinstrument", "-m", f"benchmarks.phase_{args.phase}"]
            return subprocess.call([*pinning()["client"], *cmd], cwd=ROOT, env=phase_env())
        raw = args.raw or Path(tempfile.mkstemp(suffix=".txt")[1])
        spy = [py_spy, "record", "--threads", "--nonblocking", "-r", "400", "--format", "raw"]
        spy += ["-o", str(raw), "--"]
        proc = subprocess.run(
            [*pinning()["client"], *spy, *cmd],
            cwd=ROOT,
            env=phase_env(),
            capture_output=True,
            text=True,
        )
        print(proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-2000:])
        if raw.exists() and raw.stat().st_size:
            print(summarize(raw, args.top))
        return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
