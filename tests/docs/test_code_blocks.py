"""Every code block of README.md and of the documentation (docs/**/*.md) runs.

A fenced block's info string says how it is checked:

* ``python``: executed in this test process (Django set up, ``myapp`` = the test
  app) inside :func:`signalhooks.testing.capture_hooks`, so nothing leaves the machine;
* ``python settings``: executed, and its ``SIGNALHOOKS`` must equal the real defaults;
* ``python script=DIR`` / ``python pytest=DIR``: run as a script / a pytest file in DIR;
* ``bash``: run with ``bash -euo pipefail`` from the repository root;
* ``bash ci``: the commands CI itself runs (``.ci/run``, or a script it calls such as
  ``scripts/check``, must contain each of them);
* ``bash covered-by=FILE``: the command a test file already runs (FILE must run it);
* ``json``: must parse and have the keys of the real HTTP body of a model event;
  ``json signal``: the same for a custom signal's event (with ``Data``);
  ``json standard`` / ``json cloudevents-standard``: the keys (and the keys of ``data``
  and of its ``previous_attributes``) of the real body that an endpoint of that
  ``payload_format`` ("standard", "cloudevents") gets for an update of a ``Pizza``'s
  price, with ``previous_attributes=True``;
* ``text``: prose, not code (must not be empty).

MyST directives written as fences (``{include}``, ``{toctree}``, ``{eval-rst}``,
``{image}``) are not code: the parser skips them by name. Any other fence kind,
a fence without an info string, or an indented fence fails its test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from django.db.models import signals as model_signals

from signalhooks import conf
from signalhooks.catalog import declared as declared_module
from signalhooks.testing import capture_hooks
from tests.contract_support import restore_capture  # noqa: F401  (a fixture)
from tests.outbox_support import retire_durable_hooks  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
README_MAX_BYTES = 10_000
#: A fence: up to three spaces, three or more backticks or tildes, an info string, the
#: code, and the same fence closing it (so a longer fence may contain a shorter one).
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)\n"
    r"(?P<code>.*?)^(?P=indent)(?P=fence)[ \t]*$",
    re.S | re.M,
)
#: MyST directives, not code: Sphinx checks them when it builds the docs with -W.
DIRECTIVES = frozenset({"{include}", "{toctree}", "{eval-rst}", "{image}"})


class Block(NamedTuple):
    path: str  # relative to the repository root, e.g. "docs/hooks.md"
    line: int
    lang: str
    tag: str
    code: str
    indent: str

    @property
    def id(self) -> str:
        return f"{self.path}:L{self.line}-{self.lang or 'none'}{'-' + self.tag if self.tag else ''}"

    @property
    def where(self) -> str:
        return f"{self.path} line {self.line}"


def documents() -> list[Path]:
    """README.md and every Markdown page of the documentation, in a stable order."""
    pages = sorted(p for p in (ROOT / "docs").rglob("*.md") if "_build" not in p.parts)
    return [README, *pages]


def blocks_of(path: Path, root: Path = ROOT) -> list[Block]:
    text = path.read_text()
    out = []
    for match in FENCE.finditer(text):
        lang, _, tag = match["info"].strip().partition(" ")
        if lang in DIRECTIVES:
            continue  # a MyST directive (include, toctree, ...), not a code example
        line = text.count("\n", 0, match.start()) + 1
        name = path.relative_to(root).as_posix()
        out.append(Block(name, line, lang, tag.strip(), match["code"], match["indent"]))
    return out


BLOCKS = [block for path in documents() for block in blocks_of(path)]


def test_readme_has_the_blocks_we_expect() -> None:
    kinds = [(block.lang, block.tag) for block in BLOCKS]
    readme = [(block.lang, block.tag) for block in BLOCKS if block.path == "README.md"]
    assert ("bash", "ci") in readme, "README keeps 'The two commands' as a ```bash ci block"
    assert sum(1 for kind in readme if kind == ("python", "")) >= 2, "README's quick start"
    assert ("python", "settings") in kinds
    assert ("json", "") in kinds
    assert sum(1 for kind in kinds if kind == ("python", "")) >= 4
    unknown = [
        f"{block.where}: ```{block.lang}"
        for block in BLOCKS
        if block.lang not in ("python", "bash", "json", "text")
    ]
    assert not unknown, f"blocks with no checker: {unknown}"
    indented = [block.where for block in BLOCKS if block.indent]
    assert not indented, f"indented fences (put them at the left margin): {indented}"


def test_the_parser_knows_directives_from_code(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n```{include} other.md\n```\n\n````{eval-rst}\n.. note:: x\n````\n\n"
        "```python\nx = 1\n```\n\n```{unknown}\ny\n```\n\n```\nno info\n```\n"
    )
    found = [(b.lang, b.tag, b.code) for b in blocks_of(page, tmp_path)]
    assert found == [("python", "", "x = 1\n"), ("{unknown}", "", "y\n"), ("", "", "no info\n")]


def test_readme_is_short() -> None:
    # Reference-style link definitions ("[hooks]: https://...") are addresses, not text.
    text = re.sub(r"^\[[\w-]+\]: \S+\n", "", README.read_text(), flags=re.M)
    size = len(text.encode())
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes; the details go to docs/"


def test_relative_links_of_readme_and_docs_exist() -> None:
    link = re.compile(r"\]\((?!https?://|mailto:|#)([^)\s#]+)(?:#[^)]*)?\)")
    missing = []
    for path in documents():
        for target in link.findall(path.read_text()):
            if not (path.parent / target).exists():
                missing.append(f"{path.relative_to(ROOT)} -> {target}")
    assert not missing, f"broken relative links: {missing}"


def test_docs_read_as_reference_not_as_history() -> None:
    """Present tense, facts only: no session diary, no notes that are not in the repo, no
    run-by-run notes (those go to benchmarks/NOTES.md)."""
    history = re.compile(
        r"\b(this|previous|last|earlier|today's) (session|hour)s?\b|(?-i:DESIGN\.md)"
        r"|\b(slow|slower|fast|faster|busy|busier)\s+hours?\b|\bran\s+slow(ly)?\b"
        r"|\bbefore\s+(its|the)\s+reorganisation\b",
        re.I,
    )
    found = [
        f"{path.relative_to(ROOT)}: {match[0]!r}"
        for path in documents()
        for match in history.finditer(path.read_text())
    ]
    assert not found, found


@pytest.fixture
def myapp() -> Any:
    """``from myapp.models import Pizza`` in the examples means the test app."""
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
def restore_signals() -> Any:
    """The examples connect receivers to model and outcome signals: disconnect them after."""
    import signalhooks

    signals = [
        model_signals.post_save,
        model_signals.post_delete,
        signalhooks.delivery_succeeded,
        signalhooks.delivery_failed,
        signalhooks.endpoint_disabled,
    ]
    saved = [list(signal.receivers) for signal in signals]
    declared = dict(declared_module._declared)  # catalog.declare() in the examples
    yield
    declared_module._declared.clear()
    declared_module._declared.update(declared)
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


def _model_event_body() -> dict[str, Any]:
    from signalhooks.hooks import HTTPSignalHook
    from tests.testapp.models import Pizza

    with capture_hooks() as sent:
        hook = HTTPSignalHook(request_url="https://docs.example/hook")
        model_signals.post_save.connect(hook, sender=Pizza)
        Pizza.objects.create(name="Napolitana")
    return sent[0].payload


def _signal_event_body() -> dict[str, Any]:
    from django.dispatch import Signal

    from signalhooks.hooks import HTTPSignalHook

    signal = Signal()
    hook = HTTPSignalHook(request_url="https://docs.example/hook", event="docs.example")
    signal.connect(hook)
    with capture_hooks() as sent:
        signal.send(sender=None, answer=42)
    return sent[0].payload


def _endpoint_body(payload_format: str) -> dict[str, Any]:
    from signalhooks.hooks import EndpointsHook
    from signalhooks.models import Endpoint
    from tests.testapp.models import Pizza

    hook = EndpointsHook(durable=False, previous_attributes=True)
    model_signals.post_save.connect(hook, sender=Pizza)
    Endpoint.objects.create(url="https://docs.example/hook", payload_format=payload_format)
    pizza = Pizza.objects.get(pk=Pizza.objects.create(name="Margherita", price="9.50").pk)
    pizza.price = "10.50"
    with capture_hooks() as sent:
        pizza.save()
    return sent[0].payload


def _keys(body: Any) -> list[set[str]]:
    """The keys of a body, of its ``data`` and of their ``previous_attributes``."""
    data = body.get("data") or {}
    return [set(body), set(data), set(data.get("previous_attributes") or {})]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("myapp", "restore_signals", "retire_durable_hooks", "restore_capture")
@pytest.mark.parametrize("block", BLOCKS, ids=[block.id for block in BLOCKS])
def test_code_block(block: Block, tmp_path: Path) -> None:
    lang, tag, code, where = block.lang, block.tag, block.code, block.where
    assert not block.indent, f"{where}: indented fence"
    if lang == "text" and not tag:
        assert code.strip(), where
    elif lang == "json" and tag in ("", "signal"):
        body = json.loads(code)
        real = _signal_event_body() if tag == "signal" else _model_event_body()
        assert set(body) == set(real), where
    elif lang == "json" and tag in ("standard", "cloudevents-standard"):
        real = _endpoint_body(tag.removesuffix("-standard"))
        assert _keys(json.loads(code)) == _keys(real), where
    elif lang == "python" and tag == "settings":
        namespace: dict[str, Any] = {}
        exec(compile(code, where, "exec"), namespace)
        assert namespace["SIGNALHOOKS"] == conf.DEFAULTS, f"{where}: settings drifted"
    elif lang == "python" and not tag:
        with capture_hooks():
            exec(compile(code, where, "exec"), {"__name__": "docs_example"})
    elif lang == "python" and tag.startswith("script="):
        folder = ROOT / tag.split("=", 1)[1]
        script = tmp_path / "docs_script.py"
        script.write_text(code)
        _run([sys.executable, str(script)], folder, where)
    elif lang == "python" and tag.startswith("pytest="):
        folder = ROOT / tag.split("=", 1)[1]
        test_file = tmp_path / "test_docs_block.py"
        test_file.write_text(code)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        command += ["--ds=shop.settings", f"--rootdir={folder}", "-c", os.devnull, str(test_file)]
        _run(command, folder, where)
    elif lang == "bash" and tag == "ci":
        ci = (ROOT / ".ci" / "run").read_text()
        called = re.findall(r"\./(scripts/[\w-]+)", ci)  # ./scripts/check, ...
        ci += "".join((ROOT / script).read_text() for script in called)
        for command in _commands(code):
            assert command in ci, f"{where}: .ci/run does not run {command!r}"
    elif lang == "bash" and tag.startswith("covered-by="):
        covering = (ROOT / tag.split("=", 1)[1]).read_text()
        for command in _commands(code):
            words = [w for w in command.split() if w not in ("cd", "python")]
            assert all(word in covering for word in words if "/" not in word), where
    elif lang == "bash" and not tag:
        _run(["bash", "-euo", "pipefail", "-c", code], ROOT, where)
    else:
        pytest.fail(f"{where}: no checker for ```{lang} {tag}".rstrip())


def _commands(code: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in code.splitlines())
    return [line for line in lines if line]


def _run(command: list[str], cwd: Path, where: str) -> None:
    done = subprocess.run(
        command, cwd=cwd, env=_env(cwd), capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"{where} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
