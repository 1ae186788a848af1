"""Sphinx configuration of the escapade documentation site.

Build it (warnings are errors, so a broken reference fails)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The user guide is the Markdown in this folder (MyST), the API reference is autodoc on the
package's docstrings (a page per module, written when the build starts), and the tutorial
notebooks, stored without outputs, are executed by the build (myst-nb). tests/test_docs.py
runs this build.
"""

import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

import escapade
from escapade import __version__

project = "escapade"
author = "escapade developers"
copyright = "escapade developers, BSD-3-Clause"  # noqa: A001 (Sphinx's name)
version = release = __version__

extensions = [
    "myst_nb",  # Markdown (MyST) pages and .ipynb notebooks
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",  # the API reference: a page per module, found by walking the package
    "sphinx.ext.napoleon",  # numpy- and Google-style sections in docstrings
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints"]
templates_path = ["_templates"]
# A reference to a full escapade name (escapade.sky.skymap) must resolve, so a renamed or
# removed object fails the build; other Python names (numpy.ndarray, the prose napoleon reads
# as types in "name : what it is" lines) are not checked, there is no inventory offline.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(?!escapade\.).*"),
    (r"py:.*", r".*\._\w+"),
]  # private: _Section

# MyST: `#` anchors on headings up to ### so pages can link to sections (page.md#section).
myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath"]

# The tutorials are stored without outputs and run by every build that reads them (about
# 10 s), so the site shows their figures and a failing cell fails the build.
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 600

# The API reference: a page per public module of escapade, written into docs/api/generated/
# (not in git) when the build starts, from the package as it is: a new, renamed or removed
# module needs no edit here. Every object is described once, in the module that defines it
# (autodoc, ignoring __all__); a module's exports (its __all__) are listed at the top of its
# page, and references to them resolve to those descriptions (resolve_reexports below).
API_DIR = Path(__file__).parent / "api" / "generated"


def _public_modules() -> list:
    names = [
        info.name
        for info in pkgutil.walk_packages(escapade.__path__, "escapade.")
        if not any(part.startswith("_") for part in info.name.split("."))
    ]
    return [escapade] + [importlib.import_module(name) for name in sorted(names)]


def _summary(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n")[0].replace("\n", " ").strip().removesuffix("::")


def _api_page(module, submodules) -> str:
    name = module.__name__
    exports = [
        n
        for n in getattr(module, "__all__", [])
        if not n.startswith("_") and _documented(getattr(module, n))
    ]
    lines = [
        name,
        "=" * len(name),
        "",
        f".. automodule:: {name}",
        "   :members:",
        "   :ignore-module-all:",
        "",
    ]
    if exports:  # constants are left to their modules: a table would show their type's doc
        lines += [".. rubric:: Exports", "", ".. autosummary::", ""]
        lines += [f"   {n}" for n in exports] + [""]
    if submodules:
        lines += [".. rubric:: Modules", ""]
        for sub in submodules:
            summary = _summary(sub)
            lines.append(
                f"* :mod:`{sub.__name__}`" + (f": {_escape_plain(summary)}" if summary else "")
            )
        lines += ["", ".. toctree::", "   :hidden:", ""]
        lines += [f"   {sub.__name__}" for sub in submodules] + [""]
    return "\n".join(lines)


def _documented(obj) -> bool:
    kind = inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj)
    return kind and bool(obj.__doc__)  # autodoc leaves out what has no docstring


def write_api_pages(app):
    modules = _public_modules()
    pages = {}
    for module in modules:
        prefix = module.__name__ + "."
        subs = [
            m
            for m in modules
            if m.__name__.startswith(prefix) and "." not in m.__name__[len(prefix) :]
        ]
        pages[f"{module.__name__}.rst"] = _api_page(module, subs)
    API_DIR.mkdir(parents=True, exist_ok=True)
    for stale in API_DIR.glob("*.rst"):
        if stale.name not in pages:
            stale.unlink()
    for filename, text in pages.items():
        path = API_DIR / filename
        if not path.is_file() or path.read_text() != text:  # unchanged: not rebuilt
            path.write_text(text)


autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    "exclude-members": "model_config",  # pydantic's, on every config section
}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
napoleon_numpy_docstring = True
napoleon_google_docstring = False

html_theme = "furo"
html_title = f"escapade {version}"


# Docstrings in escapade's house style, made into reStructuredText before autodoc renders them.
#
# 1. A "Parameters" section lists "name : what it is" (one line each, continuations indented),
#    not numpydoc's "name : type" + description: it becomes a field list (":param name: ...")
#    before napoleon sees it; napoleon still renders numpydoc "Returns" and the like. A
#    "Parameters" section of another shape (prose) becomes a rubric with its text.
# 2. Formulas are plain text: |z| is an absolute value, not a substitution, and dE_ a
#    variable, not a hyperlink reference. Both are escaped outside ``literals``, `roles`,
#    literal blocks (after "::"), doctests and type fields.
_ITEM = re.compile(r"^(\s*)(\*{0,2}[A-Za-z_]\w*(?:\s*,\s*\*{0,2}[A-Za-z_]\w*)*)\s+:\s+(.*)$")
_CODE = re.compile(r"(``.+?``|`[^`]+`)")
_TRAILING_UNDERSCORE = re.compile(r"(\w)_(?!\w)")


def _is_underline(line: str) -> bool:
    return len(line.strip()) >= 3 and set(line.strip()) == {"-"}


def house_parameters(app, what, name, obj, options, lines):
    """Rewrite each house-style "Parameters" section of ``lines`` in place."""
    i = 0
    while i < len(lines) - 1:
        if lines[i].strip() != "Parameters" or not _is_underline(lines[i + 1]):
            i += 1
            continue
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        end = i + 2
        while end < len(lines) and lines[end].strip():
            if end + 1 < len(lines) and _is_underline(lines[end + 1]):
                break  # the next section's title
            end += 1
        body = lines[i + 2 : end]
        first = _ITEM.match(body[0]) if body else None
        if first and first.group(1) == indent:
            new = []
            for line in body:
                m = _ITEM.match(line)
                if m and m.group(1) == indent:
                    new.append(f"{indent}:param {m.group(2)}: {m.group(3)}")
                else:
                    new.append(indent + "    " + line.strip())
        else:
            new = [f"{indent}.. rubric:: Parameters", "", *body]
        lines[i:end] = [*new, ""]
        i += len(new) + 1


def _escape_plain(text: str) -> str:
    parts = _CODE.split(text)
    for k in range(0, len(parts), 2):
        parts[k] = _TRAILING_UNDERSCORE.sub(r"\1\\_", parts[k].replace("|", "\\|"))
    return "".join(parts)


def escape_plain_text_formulas(app, what, name, obj, options, lines):
    """Escape | and a trailing _ in the prose of ``lines`` in place."""
    literal_indent = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None:
            if not stripped or indent > literal_indent:
                continue
            literal_indent = None
        if stripped.startswith((":type ", ":rtype:", ">>>")):
            continue
        lines[i] = _escape_plain(line)
        if stripped.endswith("::"):
            literal_indent = indent


# Pages in docs/ link to files outside it as GitHub shows them (../README.md#section,
# ../benchmarks/results.md); on the site the targets are the pages that include those files.
# Any other link out of docs/ stays as written and fails the build.
OUTSIDE_LINKS = {
    "../README.md#configuration-reference": "configuration.md#configuration-reference",
    "../README.md#output-schema": "configuration.md#output-schema",
    "../benchmarks/results.md": "benchmarks.md",
}


def outside_links(app, docname, source):
    for old, new in OUTSIDE_LINKS.items():
        source[0] = source[0].replace(f"]({old})", f"]({new})")


# Every object is described once, where it is defined (escapade.model.model.solve); a
# reference to a name that re-exports it (escapade.solve, escapade.model.solve, or SkyMap in
# a module that imports it) resolves to that description.
def _definition(name: str) -> str | None:
    """The full name of the description of ``name``, an escapade object, or None."""
    parts = name.split(".")
    if parts[0] != "escapade":
        return None
    for i in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:i]))
        if module is not None:
            break
    else:
        return None
    obj, real = module, module.__name__
    for part in parts[i:]:
        getter = getattr if inspect.ismodule(obj) else inspect.getattr_static
        try:
            obj = getter(obj, part)
        except AttributeError:
            return None
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        if inspect.ismodule(obj):
            real = obj.__name__
        elif getattr(obj, "__module__", "").startswith("escapade") and hasattr(obj, "__qualname__"):
            real = f"{obj.__module__}.{obj.__qualname__}"
        else:
            real = f"{real}.{part}"
    return real


def resolve_reexports(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    target, context = node["reftarget"], node.get("py:module")
    for name in ([f"{context}.{target}"] if context else []) + [target]:
        real = _definition(name)
        if real and real != name:
            py = env.get_domain("py")
            return py.resolve_xref(env, node["refdoc"], app.builder, "obj", real, node, contnode)
    return None


def setup(app):
    app.connect("builder-inited", write_api_pages)
    app.connect("missing-reference", resolve_reexports)
    app.connect("source-read", outside_links)
    # napoleon runs at the default priority, 500
    app.connect("autodoc-process-docstring", house_parameters, priority=400)
    app.connect("autodoc-process-docstring", escape_plain_text_formulas, priority=600)
