"""What the README and the docs point at exists: every page of the site's table of
contents is in the README's documentation list, the README's links name pages and
headings that exist, and every repository path they name is a
file or folder of the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def toctree_pages() -> list[str]:
    index = (ROOT / "docs" / "index.md").read_text()
    trees = re.findall(r"^```\{toctree\}\n(.*?)^```", index, re.S | re.M)
    return [
        line.strip()
        for tree in trees
        for line in tree.splitlines()
        if line.strip() and not line.startswith(":")
    ]


#: README.md links the pages of docs/ (they read on GitHub; the site is built from them).
SITE = "docs/"
#: A link to a page, inline ``](docs/page.md)`` or a reference definition ``[label]: docs/page.md``.
SITE_LINK = re.compile(rf"(?:\]\(|^\[[^\]]+\]:\s*){re.escape(SITE)}([\w-]+)\.md(#[\w-]+)?", re.M)


def site_links(text: str) -> list[tuple[str, str]]:
    """(page, anchor) of every link to the published docs."""
    return [(page, anchor.lstrip("#")) for page, anchor in SITE_LINK.findall(text)]


def headings(page: str) -> set[str]:
    """The anchors MyST gives a page's headings (GitHub's slugs: myst_heading_anchors)."""
    text = re.sub(r"^```.*?^```", "", (ROOT / "docs" / f"{page}.md").read_text(), flags=re.S | re.M)
    titles = re.findall(r"^#{1,3} (.+)$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-") for title in titles}


def test_every_page_of_the_toctree_is_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    docs_list = readme.split("## Documentation", 1)[1].split("\n## ", 1)[0]
    linked = {page for page, _ in site_links(docs_list)}
    pages = toctree_pages()
    assert len(pages) > 10 and "tasks" in pages
    missing = [page for page in pages if page not in linked]
    assert not missing, f"README's documentation list lacks {missing}"


def test_readme_links_pages_and_headings_that_exist():
    readme = (ROOT / "README.md").read_text()
    links = site_links(readme)
    assert len(links) > 10
    broken = [
        f"{page}.md#{anchor}".rstrip("#")
        for page, anchor in links
        if not (ROOT / "docs" / f"{page}.md").exists() or (anchor and anchor not in headings(page))
    ]
    assert not broken, f"README links pages or headings the docs do not have: {broken}"


def test_readthedocs_builds_with_only_the_docs_extra():
    config = (ROOT / ".readthedocs.yaml").read_text()
    assert re.search(r"extra_requirements:\s*\n\s*- docs\s*\n(?!\s*- )", config), config
    assert "configuration: docs/conf.py" in config and "fail_on_warning: true" in config


#: A repository path in prose or code: ``signalhooks/accept/route.py``, ``tests/fleet.py``.
PATH = re.compile(r"(?<![\w./-])(?:signalhooks|tests|benchmarks|examples|scripts|docs)/[\w./-]*\w")
#: What runs write (ignored by git): named in the docs, absent from a fresh clone.
GENERATED = ("benchmarks/results/smoke", "docs/_build")


def test_every_repository_path_named_in_the_docs_exists():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    missing = [
        f"{page.relative_to(ROOT)}: {path}"
        for page in pages
        for path in sorted(set(PATH.findall(page.read_text())))
        if not (ROOT / path).exists()
        and not (ROOT / "signalhooks" / "templates" / path).exists()  # a template's name
        and not path.startswith(GENERATED)
    ]
    assert not missing, f"paths that do not exist: {missing}"


def test_install_instructions_match_the_package():
    """The Django the package requires, and the app that the signalhooks app needs."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    [django] = [dep for dep in project["dependencies"] if dep.startswith("Django")]
    minimum = django.split(">=", 1)[1]
    for page in (ROOT / "README.md", ROOT / "docs" / "quickstart.md"):
        text = " ".join(page.read_text().split())
        assert f"Django {minimum}" in text, f"{page.name} does not say Django {minimum}"
        older = re.findall(r"Django [0-4]\.\d|Django 5\.[01]\b", text)
        assert not older, f"{page.name} names an unsupported Django: {older}"
        assert '"django.contrib.contenttypes"' in text, f"{page.name}: the app needs it"
