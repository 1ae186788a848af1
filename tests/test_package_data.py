"""The installed package ships every data file and preset of the source tree.

CI installs escapade non-editably (``pip install .``); a file missing from
``[tool.setuptools.package-data]`` then exists in the checkout but not in
site-packages. This test compares the two trees.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "escapade"


def _files(root) -> set[str]:
    out: set[str] = set()

    def walk(node, prefix: str) -> None:
        for child in node.iterdir():
            name = f"{prefix}{child.name}"
            if child.is_dir():
                if child.name != "__pycache__":
                    walk(child, name + "/")
            elif not child.name.endswith((".pyc",)):
                out.add(name)

    walk(root, "")
    return out


@pytest.mark.parametrize("sub", ["data", "configs"])
def test_every_source_file_is_installed(sub: str) -> None:
    src = SRC / sub
    if not src.is_dir():
        pytest.skip("no source tree next to the tests")
    installed = resources.files("escapade").joinpath(sub)
    missing = sorted(_files(src) - _files(installed))
    assert not missing, f"not installed (add to package-data in pyproject.toml): {missing[:10]}"
