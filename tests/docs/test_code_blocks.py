"""Every code block of README.md runs, so the docs cannot rot.

A fenced block's info string says how it is checked:

* ``python``: executed in this test process (Django set up, ``myapp`` = the test
  app) inside :func:`signalhooks.testing.capture_hooks`, so nothing leaves the machine;
* ``python settings``: executed, and its ``SIGNALHOOKS`` must equal the real defaults;
* ``python script=DIR`` / ``python pytest=DIR``: run as a script / a pytest file in DIR;
* ``bash``: run with ``bash -euo pipefail`` from the repository root;
* ``bash ci``: the commands CI itself runs (``.ci/run`` must call each of them);
* ``bash covered-by=FILE``: the command a test file already runs (FILE must run it);
* ``json``: must parse and match the real HTTP body's keys; ``text``: prose, not code.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from django.db.models import signals as model_signals

from signalhooks import conf
from signalhooks.testing import capture_hooks

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```$", re.S | re.M)


def _blocks() -> list[tuple[str, str, str, int]]:
    text = (ROOT / "README.md").read_text()
    out = []
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        out.append((match[1], match[2].strip(), match[3], line))
    return out


BLOCKS = _blocks()


def _ids() -> list[str]:
    return [f"L{line}-{lang}{'-' + tag if tag else ''}" for lang, tag, _, line in BLOCKS]


def test_readme_has_the_blocks_we_expect() -> None:
    kinds = [(lang, tag) for lang, tag, _, _ in BLOCKS]
    assert ("bash", "ci") in kinds
    assert ("python", "settings") in kinds
    assert sum(1 for kind in kinds if kind == ("python", "")) >= 4
    unknown = [k for k in kinds if k[0] not in ("python", "bash", "json", "text")]
    assert not unknown, f"README blocks with no checker: {unknown}"


@pytest.fixture
def myapp() -> Any:
    """``from myapp.models import Pizza`` in README examples means the test app."""
    from tests.testapp import models

    package = types.ModuleType("myapp")
    package.models = models  # type: ignore[attr-defined]
    saved = {name: sys.modules.get(name) for name in ("myapp", "myapp.models")}
    sys.modules.update({"myapp": package, "myapp.models": models})
    yield
    for name, module in saved.items():
        if module is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = module


@pytest.fixture
def restore_model_signals() -> Any:
    """README blocks connect hooks to post_save/post_delete: disconnect them afterwards."""
    signals = [model_signals.post_save, model_signals.post_delete]
    saved = [list(signal.receivers) for signal in signals]
    yield
    for signal, receivers in zip(signals, saved, strict=True):
        with signal.lock:
            signal.receivers[:] = receivers
            signal.sender_receivers_cache.clear()
            signal._dead_receivers = False


def _env(cwd: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join([str(cwd), str(ROOT)])
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("lang", "tag", "code", "line"), BLOCKS, ids=_ids())
def test_readme_block(
    lang: str,
    tag: str,
    code: str,
    line: int,
    myapp: Any,
    restore_model_signals: Any,
    tmp_path: Path,
) -> None:
    where = f"README.md line {line}"
    if lang == "text":
        assert code.strip(), where
    elif lang == "json":
        from tests.testapp.models import Pizza

        body = json.loads(code)
        with capture_hooks() as sent:
            from signalhooks.hooks import HTTPSignalHook

            hook = HTTPSignalHook(request_url="https://readme.example/hook")
            model_signals.post_save.connect(hook, sender=Pizza)
            Pizza.objects.create(name="Napolitana")
        assert set(body) == set(sent[0].payload), where
    elif lang == "python" and tag == "settings":
        namespace: dict[str, Any] = {}
        exec(compile(code, where, "exec"), namespace)
        assert namespace["SIGNALHOOKS"] == conf.DEFAULTS, f"{where}: settings drifted"
    elif lang == "python" and not tag:
        with capture_hooks():
            exec(compile(code, where, "exec"), {"__name__": "readme"})
    elif lang == "python" and tag.startswith("script="):
        folder = ROOT / tag.split("=", 1)[1]
        script = tmp_path / "readme_script.py"
        script.write_text(code)
        _run([sys.executable, str(script)], folder, where)
    elif lang == "python" and tag.startswith("pytest="):
        folder = ROOT / tag.split("=", 1)[1]
        test_file = tmp_path / "test_readme_block.py"
        test_file.write_text(code)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        command += ["--ds=shop.settings", f"--rootdir={folder}", "-c", os.devnull, str(test_file)]
        _run(command, folder, where)
    elif lang == "bash" and tag == "ci":
        ci = (ROOT / ".ci" / "run").read_text()
        for command in _commands(code):
            script = command.split()[0]
            assert script in ci, f"{where}: .ci/run does not run {script}"
    elif lang == "bash" and tag.startswith("covered-by="):
        covering = (ROOT / tag.split("=", 1)[1]).read_text()
        for command in _commands(code):
            words = [w for w in command.split() if w not in ("cd", "python")]
            assert all(word in covering for word in words if "/" not in word), where
    elif lang == "bash" and not tag:
        _run(["bash", "-euo", "pipefail", "-c", code], ROOT, where)
    else:
        pytest.fail(f"{where}: no checker for ```{lang} {tag}")


def _commands(code: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in code.splitlines())
    return [line for line in lines if line]


def _run(command: list[str], cwd: Path, where: str) -> None:
    done = subprocess.run(
        command, cwd=cwd, env=_env(cwd), capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"{where} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
