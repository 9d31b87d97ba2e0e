"""Child processes of the tests and the benchmarks: one way to start, watch and stop them.

A :class:`Process` writes its stdout and stderr to one temporary file: a pipe that nobody
reads while a test or a benchmark runs fills up and blocks the child (RQ logs a line per
job). Its output is read from the file without moving the child's write position, so it
can be waited on while the child runs (:meth:`Process.wait_for_output`) and is returned
whole when it stops. :meth:`Process.stop` sends SIGTERM, which every worker here treats
as "finish what you hold, then exit", and SIGKILL only if it has not exited in time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

#: The repository's root: the working directory of the processes, and on their path.
ROOT = Path(__file__).resolve().parents[2]


class Process(subprocess.Popen[bytes]):
    """A child process with its output in a file; a context manager that stops it.

    ``group=True``: the child leads a session of its own and every signal goes to its
    whole process group (a wrapper script and the programs it starts die together).
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path = ROOT,
        group: bool = False,
    ) -> None:
        self.group = group
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  (closed by stop())
        self._output: str | None = None
        super().__init__(
            list(command),
            env=None if env is None else dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=group,
        )

    def output(self) -> str:
        """What it has printed so far (all of it, once stopped)."""
        if self._output is not None:
            return self._output
        # pread: the child shares the file's offset; reading must not move it.
        fd = self._log.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 30.0) -> str:
        """The first whole line that contains ``text``, once it has printed one.

        Fails with its output if it exits before, or if ``timeout`` passes.
        """
        deadline = time.monotonic() + timeout
        while True:
            output = self.output()
            for line in output.splitlines(keepends=True):
                if text in line and line.endswith("\n"):
                    return line.rstrip("\n")
            if self.poll() is not None:
                raise AssertionError(f"{self.args!r} exited ({self.returncode}): {output}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.args!r} printed no {text!r} in {timeout}s: {output}")
            time.sleep(0.02)

    def send_signal(self, sig: int) -> None:
        if not self.group:
            super().send_signal(sig)
        else:
            with contextlib.suppress(ProcessLookupError):  # the group is gone already
                os.killpg(self.pid, sig)

    def stop(self, timeout: float = 20.0, sig: int = signal.SIGTERM) -> str:
        """``sig`` (SIGTERM), then SIGKILL if it has not exited within ``timeout``
        seconds; returns everything it printed. Stopping it again changes nothing."""
        if self._output is not None:
            return self._output
        if self.poll() is None:
            self.send_signal(sig)
            try:
                self.wait(timeout)
            except subprocess.TimeoutExpired:
                self.send_signal(signal.SIGKILL)
                self.wait(10)
        if self.group:  # helpers left in its session
            self.send_signal(signal.SIGKILL)
        self._output = self.output()
        self._log.close()
        return self._output

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
