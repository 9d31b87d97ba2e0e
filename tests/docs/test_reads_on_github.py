"""The pages read on GitHub too, where MyST's directives and roles are not rendered:
no role in the prose (a Markdown link instead), images in Markdown syntax, an
``{include}`` announced by a sentence naming the file, and every section of the API
page listing its names in prose before its autodoc directives."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"^(`{3,})(\S*)[^\n]*\n(.*?)^\1\s*$", re.S | re.M)


def prose(text: str) -> str:
    return FENCE.sub("", text)


def test_no_myst_role_in_the_prose():
    role = re.compile(r"\{[\w:.-]+\}`")
    found = [
        f"{page.name}: {match[0]}"
        for page in PAGES
        for match in role.finditer(prose(page.read_text()))
    ]
    assert not found, f"roles render as raw text on GitHub; link the page instead: {found}"


def test_images_are_markdown_and_includes_are_announced():
    for page in PAGES:
        text = page.read_text()
        kinds = [kind for _, kind, _ in FENCE.findall(text)]
        assert "{image}" not in kinds, f"{page.name}: use ![alt](path), which GitHub shows"
        for match in re.finditer(r"^```\{include\} (\S+)", text, re.M):
            before = text[: match.start()].rstrip().rsplit("\n\n", 1)[-1]
            name = match[1].removeprefix("../")
            assert name in before, f"{page.name}: say in prose which file {match[1]} is"


def test_every_api_section_lists_its_names_before_the_directives():
    text = (ROOT / "docs" / "api.md").read_text()
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    assert len(sections) >= 7
    for section in sections:
        title, body = section.split("\n", 1)
        documented = re.findall(r"^\.\. auto(?:class|function|data):: [\w.]+\.(\w+)", body, re.M)
        listed = prose(body)
        assert documented, title
        # `name`, `name()` or a qualified `module.name` in the prose list
        missing = [n for n in documented if not re.search(rf"`(?:[\w.]+\.)?{n}\b", listed)]
        assert not missing, f"api.md, {title}: not in the prose list: {missing}"
