"""The system check ids agree everywhere: the code, checks.py's table, its docstrings and
docs/checks.md (the tests that trigger each id are in test_checks.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import signalhooks.checks

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Path(signalhooks.checks.__file__).read_text()
ID = re.compile(r"signalhooks\.([EW]\d{3})")
#: A check id as the docs name one: ``signalhooks.E001`` or `` `E001` ``.
NAMED = re.compile(r"(?:signalhooks\.|`)([EW]\d{3})\b")
RANGE = re.compile(r"\b([EW]\d{3})`? to `?(?:signalhooks\.)?([EW]\d{3})")


def emitted(node: ast.AST) -> set[str]:
    """The ids the code under ``node`` emits (``id="signalhooks.E001"``)."""
    return {
        ID.fullmatch(kw.value.value)[1]  # type: ignore[index]
        for call in ast.walk(node)
        if isinstance(call, ast.Call)
        for kw in call.keywords
        if kw.arg == "id" and isinstance(kw.value, ast.Constant) and ID.fullmatch(kw.value.value)
    }


def expand(text: str) -> set[str]:
    """``"E005-E009 and W001"`` -> {E005, ..., E009, W001}."""
    out = set()
    for first, last in re.findall(r"\b([EW]\d{3})(?:-([EW]\d{3}))?\b", text):
        last = last or first
        assert first[0] == last[0], f"a range across kinds: {first}-{last}"
        out |= {f"{first[0]}{n:03d}" for n in range(int(first[1:]), int(last[1:]) + 1)}
    return out


def test_the_table_of_checks_py_lists_what_the_code_emits():
    """Every check of the package, wherever its module is (the catalog's, the portal's)."""
    table = set(ID.findall(signalhooks.checks.__doc__ or ""))
    package = Path(signalhooks.checks.__file__).parent
    code = set().union(*(emitted(ast.parse(path.read_text())) for path in package.rglob("*.py")))
    assert table == code


def test_each_check_functions_docstring_names_the_ids_it_emits():
    functions = [
        node
        for node in ast.parse(SOURCE).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("check_")
    ]
    assert functions
    for function in functions:
        docstring = ast.get_docstring(function) or ""
        first_line = docstring.split(":", 1)[0].split(" for ", 1)[0]
        assert expand(first_line) == emitted(function), f"{function.name}: {first_line!r}"


def test_docs_checks_page_lists_every_id_and_no_other():
    page = (ROOT / "docs" / "checks.md").read_text()
    listed = set(re.findall(r"^\| `signalhooks\.([EW]\d{3})` \|", page, re.M))
    assert listed == set(ID.findall(signalhooks.checks.__doc__ or ""))
    mentioned = set(re.findall(r"\b[EW]\d{3}\b", page))
    assert mentioned <= listed, f"ids in docs/checks.md that no check emits: {mentioned - listed}"


def test_ids_named_anywhere_in_the_docs_exist():
    known = set(ID.findall(signalhooks.checks.__doc__ or ""))
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        text = page.read_text()
        for first, last in RANGE.findall(text):  # "E001 to E003": one kind, both ends real
            assert first[0] == last[0], f"{page.name}: {first} to {last} mixes kinds"
            assert {first, last} <= known, f"{page.name}: {first} to {last}"
        unknown = set(NAMED.findall(text)) - known
        assert not unknown, f"{page.name} names check ids that do not exist: {unknown}"
