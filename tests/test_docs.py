"""The documentation site: Sphinx builds it with warnings as errors, and the tutorial runs.

The site is built once per module, by the README's command, from a copy of docs/ in a
temporary folder (nothing is written under docs/). The build executes the tutorial notebook
(stored without outputs), so these tests run it exactly once.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

import escapade

DOCS = REPO / "docs"
DOCS_COMMAND = 'pip install ".[docs]" && sphinx-build -W --keep-going -b html docs docs/_build/html'
TUTORIAL = DOCS / "tutorials" / "quickstart.ipynb"


def sphinx_build(src: Path, out: Path) -> subprocess.CompletedProcess:
    """The README's docs command (``sphinx-build -W --keep-going -b html``) on ``src``."""
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q"]
    return subprocess.run(
        [*cmd, str(src), str(out)], capture_output=True, text=True, timeout=900, check=False
    )


def sphinx_warnings(stderr: str) -> list[str]:
    """Sphinx's warnings and errors (not the notebook kernel's own log lines)."""
    return [line for line in stderr.splitlines() if re.search(r"(WARNING|ERROR|CRITICAL):", line)]


def copy_sources(dest: Path) -> Path:
    """docs/ and the two files outside it that its pages include, as in a fresh clone."""
    shutil.copytree(DOCS, dest / "docs", ignore=shutil.ignore_patterns("_build", "generated"))
    shutil.copy(REPO / "README.md", dest / "README.md")
    (dest / "benchmarks").mkdir()
    shutil.copy(REPO / "benchmarks" / "results.md", dest / "benchmarks" / "results.md")
    return dest / "docs"


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> tuple[Path, Path]:
    """(the copied docs/ folder, the built site)."""
    root = tmp_path_factory.mktemp("docs")
    src, out = copy_sources(root), root / "html"
    res = sphinx_build(src, out)
    assert res.returncode == 0, f"docs build failed:\n{res.stderr}"
    assert not sphinx_warnings(res.stderr), res.stderr
    return src, out


@pytest.fixture(scope="module")
def site(build) -> Path:
    return build[1]


def text_of(page: Path) -> str:
    """The visible text of an HTML page."""
    return re.sub(r"<[^>]+>", " ", page.read_text())


def test_readme_names_the_docs_command():
    readme = (REPO / "README.md").read_text()
    assert DOCS_COMMAND in readme
    assert "docs/_build/html/index.html" in readme
    ignored = (REPO / ".gitignore").read_text().split()
    assert "docs/_build/" in ignored and "docs/api/generated/" in ignored


def test_tutorial_is_stored_without_outputs():
    nb = json.loads(TUTORIAL.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)


@pytest.mark.slow
def test_site_has_the_guide_the_api_and_the_tutorial(site):
    for page in (
        "index.html",
        "installation.html",
        "quickstart.html",
        "configuration.html",
        "model.html",
        "nuclear.html",
        "gamma.html",
        "leptons.html",
        "fits.html",
        "scans.html",
        "validation.html",
        "benchmarks.html",
        "tutorials/quickstart.html",
        "api/index.html",
        "api/generated/escapade.html",
        "api/generated/escapade.sky.html",
        "api/generated/escapade.model.model.html",
        "py-modindex.html",
    ):
        assert (site / page).is_file(), page
    # the README's sections are included, not copied
    assert "diffusion.tau" in text_of(site / "configuration.html")
    installation = re.sub(r"<[^>]+>", "", (site / "installation.html").read_text())
    assert DOCS_COMMAND.split(" && ")[1] in installation
    # links out of docs/ (../README.md#..., ../benchmarks/results.md) land on the site's pages
    scans = (site / "scans.html").read_text()
    assert 'href="configuration.html#configuration-reference"' in scans
    assert 'href="benchmarks.html"' in scans


@pytest.mark.slow
def test_api_reference_documents_every_module_and_the_public_api(site):
    api = site / "api" / "generated"
    # a page per public module, found by walking the package (none listed by hand)
    for module in (
        "escapade.config",
        "escapade.sky.maps",
        "escapade.transport.solver",
        "escapade.fit.fit",
        "escapade.scan",
    ):
        assert (api / f"{module}.html").is_file(), module
    # each public name of escapade links to its description in the module that defines it
    top = (api / "escapade.html").read_text()
    for name in escapade.__all__:
        if name.startswith("_"):
            continue
        obj = getattr(escapade, name)
        if name == "scan":  # the function shadows its module: the link is to the module page
            assert 'href="escapade.scan.html#module-escapade.scan"' in top
            continue
        real = f"{obj.__module__}.{obj.__qualname__}"
        assert f'href="{obj.__module__}.html#{real}"' in top, name
        assert f'id="{real}"' in (api / f"{obj.__module__}.html").read_text(), real
    solve = (api / "escapade.model.model.html").read_text()
    assert 'id="escapade.model.model.solve"' in solve
    assert "Build the model of" in text_of(api / "escapade.model.model.html")
    assert 'id="escapade.scan.scan"' in (api / "escapade.scan.html").read_text()
    # house-style "Parameters" sections become field lists, not stray text
    assert '<dt class="field-odd">Parameters' in (api / "escapade.sky.assemble.html").read_text()


@pytest.mark.slow
def test_tutorial_runs_in_the_build_and_shows_its_figures(site):
    page = site / "tutorials" / "quickstart.html"
    html, text = page.read_text(), text_of(page)
    assert "Traceback" not in text and "Error" not in re.sub(r"ConfigError", "", text)
    figures = re.findall(r'<img[^>]+src="(\.\./_images/[^"]+\.png)"', html)
    assert len(figures) == 3, figures  # B/C vs AMS-02, the sky map, the anisotropy
    for src in figures:
        assert (page.parent / src).resolve().stat().st_size > 10_000, src
    assert "B/C:AMS-02 rigidity" in text and "12288 pixels" in text
    # the letter's point, as the tutorial prints it: tau = 0.85 lowers the TeV anisotropy
    a = dict(re.findall(r"tau = ([\d.]+): A\(1 TeV/n\) = ([\d.e+-]+)", text))
    assert float(a["0.85"]) < 0.3 * float(a["0"])


@pytest.mark.slow
def test_broken_reference_fails_the_build(build):
    """A page with a broken link, a link to a missing page and a reference to a missing
    function: the rebuild of the same sources (only that page is new) must fail, and only
    because of that page, so warnings-as-errors is what fails it."""
    src, out = build
    broken = src / "broken.md"
    broken.write_text(
        "---\norphan: true\n---\n# Broken\n\n"
        "See [a page that is not there](no_such_page.md), {doc}`no_such_chapter` and\n"
        "{func}`escapade.no_such_function`.\n"
    )
    try:
        res = sphinx_build(src, out)
    finally:
        broken.unlink()
    assert res.returncode != 0
    warnings = sphinx_warnings(res.stderr)
    for target in ("no_such_page", "no_such_chapter", "escapade.no_such_function"):
        assert any(target in w for w in warnings), (target, res.stderr)
    assert all("broken.md" in w for w in warnings), res.stderr
