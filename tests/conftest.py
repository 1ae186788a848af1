"""Shared helpers for the test suite."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import escapade  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

# the on-disk cache of gas kernels (escapade.sky.los3d): one per test session, not ~/.cache
os.environ.setdefault("ESCAPADE_CACHE_DIR", tempfile.mkdtemp(prefix="escapade-test-cache-"))

SMALL_TOML = """
[grid]
nr = 21
nz = 41
n_ekin = 8
[species]
propagate = ["1H"]
abundances = { "1H" = 1.0 }
"""
"""A tiny 1H-only run config as TOML text (a second per solve), for CLI and scan tests."""


def small_config(**sections) -> escapade.Config:
    """A fast configuration (41 x 81 x 16) with section overrides, e.g. diffusion={"tau": 0}."""
    data = {
        "grid": {
            "nr": 41,
            "nz": 81,
            "n_ekin": 16,
            "ekin_min_gev_per_n": 0.1,
            "ekin_max_gev_per_n": 1e5,
        },
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return escapade.validate_config(data)


TINY_GRID = {"nr": 21, "nz": 41}
"""The grid of the one-second test runs (21 x 41; n_ekin per test)."""

ONLY_1H = {"propagate": ["1H"], "abundances": {"1H": 1.0}}
"""A ``[species]`` section that propagates 1H alone."""


def tiny_config(n_ekin: int = 12, **sections) -> escapade.Config:
    """A one-second configuration (21 x 41 x ``n_ekin``) with section overrides."""
    data = {"grid": {**TINY_GRID, "n_ekin": n_ekin}}
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return escapade.validate_config(data)


def clean_python_run(code: str, expected_stdout: str) -> None:
    """Run ``code`` in a fresh interpreter: exit 0, ``expected_stdout``, and no "Exception
    ignored" report on stderr (finalisers or fork handlers that failed)."""
    import subprocess

    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == expected_stdout and "Exception ignored" not in run.stderr


def tiny_toml(n_ekin: int = 12, **sections) -> str:
    """:func:`tiny_config` as the TOML text of a config file."""
    return escapade.dump_config(tiny_config(n_ekin, **sections))


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def leptonic_solution():
    """A small solution with e- and e+ (21 x 21 x 25, full density), shared by the IC tests."""
    cfg = escapade.validate_config(
        {
            "grid": {"nr": 21, "nz": 21, "n_ekin": 25},
            "diffusion": {"d0_cm2_s": 1.25e28},
            "leptons": {"enabled": True},
        }
    )
    return escapade.solve(cfg, full=True)
