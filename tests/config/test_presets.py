"""Every preset shipped in configs/ loads, validates and names a known model."""

from __future__ import annotations

from importlib import resources

import pytest

import escapade

PRESETS = sorted(
    p.name
    for p in resources.files("escapade").joinpath("configs").iterdir()
    if p.name.endswith(".toml")
)


def test_the_documented_presets_are_shipped():
    for name in (
        "letter_tau0.toml",
        "letter_tau0.85.toml",
        "letter_tau0.85_fast.toml",
        "kra.toml",
        "kol.toml",
        "ams02_sources_tau0.85.toml",
    ):
        assert name in PRESETS


@pytest.mark.parametrize("name", PRESETS)
def test_preset_validates(name):
    path = resources.files("escapade").joinpath("configs").joinpath(name)
    cfg = escapade.load_config(str(path))
    assert cfg.grid.nr >= 3 and cfg.diffusion.d0_cm2_s > 0


def test_source_fit_preset_keeps_the_fitted_values():
    path = resources.files("escapade").joinpath("configs/ams02_sources_tau0.85.toml")
    cfg = escapade.load_config(str(path))
    # docs/fits.md: index 2.279 +- 0.003, 4He 2.223 +- 0.003 (harder than protons)
    assert cfg.source.rigidity_index == pytest.approx(2.279, abs=0.003)
    assert cfg.source.index_overrides["4He"] == pytest.approx(2.223, abs=0.003)
    assert cfg.source.index_overrides["4He"] < cfg.source.rigidity_index
