"""The shared process helpers (``tests.support``): output in a file, SIGTERM then SIGKILL."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

from tests.support.processes import Process
from tests.support.sink_process import SinkProcess
from tests.support.waiting import wait_until

PYTHON = [sys.executable, "-c"]


def test_output_is_readable_while_it_runs_and_whole_once_stopped() -> None:
    script = "import sys, time; print('ready', flush=True); print('err', file=sys.stderr)"
    script += "; time.sleep(60)"
    with Process([*PYTHON, script]) as child:
        assert child.wait_for_output("ready") == "ready"
        output = child.stop()
    assert child.returncode == -signal.SIGTERM
    assert output.splitlines() == ["ready", "err"]
    assert child.stop() == output  # stopping again changes nothing


def test_a_child_that_ignores_sigterm_is_killed_after_the_timeout() -> None:
    script = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN)"
    script += "; print('ready', flush=True); time.sleep(60)"
    child = Process([*PYTHON, script])
    child.wait_for_output("ready")
    started = time.monotonic()
    child.stop(timeout=0.5)
    assert child.returncode == -signal.SIGKILL
    assert 0.5 <= time.monotonic() - started < 10


def test_waiting_for_output_fails_with_what_it_printed_when_it_exits_first() -> None:
    child = Process([*PYTHON, "print('something else'); raise SystemExit(3)"])
    with pytest.raises(AssertionError, match=r"exited \(3\): something else"):
        child.wait_for_output("ready")
    child.stop()


def test_a_group_is_signalled_whole() -> None:
    # The grandchild would outlive a signal sent to its parent alone.
    inner = "import os, time; print('inner', os.getpid(), flush=True); time.sleep(60)"
    script = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {inner!r}])"
    script += "; time.sleep(60)"
    child = Process([*PYTHON, script], group=True)
    grandchild = int(child.wait_for_output("inner").split()[1])
    child.stop()
    wait_until(lambda: not _alive(grandchild), 10, "the grandchild to die")


def _alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie not reaped yet."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_sink_process_counts_and_answers_its_control_paths() -> None:
    with SinkProcess("http") as sink:
        for _ in range(3):
            with urlopen(f"{sink.url}/hook", data=b"{}", timeout=5) as answer:
                assert (answer.status, answer.read()) == (200, b"{}")
        with urlopen(f"{sink.url}/__count", timeout=5) as answer:
            assert answer.read() == b"3"
        with urlopen(f"{sink.url}/__reset", timeout=5) as answer:
            assert json.loads(answer.read())["count"] == 3
        with urlopen(f"{sink.url}/__stats", timeout=5) as answer:
            assert json.loads(answer.read())["count"] == 0
