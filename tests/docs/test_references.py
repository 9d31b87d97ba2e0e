"""What the README and the docs point at exists: every page of the site's table of
contents is in the README's documentation list, and every repository path they name
is a file or folder of the repository."""

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


def test_every_page_of_the_toctree_is_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    docs_list = readme.split("## Documentation", 1)[1].split("\n## ", 1)[0]
    linked = set(re.findall(r"\]\(docs/([\w-]+)\.md(?:#[^)]*)?\)", docs_list))
    pages = toctree_pages()
    assert len(pages) > 10 and "tasks" in pages
    missing = [page for page in pages if page not in linked]
    assert not missing, f"README's documentation list lacks {missing}"


#: A repository path in prose or code: ``signalhooks/accept/atomic.py``, ``tests/fleet.py``.
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
