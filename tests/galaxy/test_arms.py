"""Spiral-arm sources of the 3D engine (escapade.galaxy.arms): the azimuthal average is the
2D source, so 2D and 3D inject the same number of particles."""

from __future__ import annotations

import numpy as np
import pytest

from escapade.config import validate_config
from escapade.galaxy.arms import (
    FAUCHER_GIGUERE_KASPI_2006,
    arm_modulation,
    source_density_3d,
    source_distribution,
    vertical_factor,
)
from escapade.grid import Grid


def config(**source):
    return validate_config({"transport": {"geometry": "3d"}, "source": source})


FGK = {"arms": "faucher_giguere_kaspi2006"}


@pytest.mark.parametrize(
    "source",
    [
        FGK,
        {**FGK, "arm_width_fraction": 0.2, "arm_fraction": 0.6},
        {**FGK, "radial": "ferriere", "vertical": "slab"},
        {**FGK, "radial": "case_bhattacharya", "arm_width_fraction": 0.03},
    ],
)
def test_azimuthal_average_is_the_2d_source(source):
    cfg = config(**source)
    phi = np.linspace(-np.pi, np.pi, 4096, endpoint=False)  # spectral accuracy on a circle
    r = np.array([0.05, 0.7, 3.0, 8.5, 12.3, 19.9])[:, None, None]
    z = np.array([0.0, 0.13, -1.0])[None, :, None]
    x, y = r * np.cos(phi), r * np.sin(phi)
    q3 = source_density_3d(cfg, x, y, z + 0.0 * x)
    q2 = source_distribution(cfg).density(r[..., 0], z[..., 0])
    mean = q3.mean(axis=-1)
    assert np.allclose(mean, q2, rtol=1e-6, atol=1e-12 * q2.max())
    assert np.all(q3 >= 0.0)
    assert q3.max(axis=-1)[3, 0] > 2.0 * q2[3, 0]  # the arms do modulate


def test_none_is_the_2d_source_exactly():
    cfg = validate_config({})
    x, y, z = np.meshgrid(
        np.linspace(-20, 20, 21), np.linspace(-20, 20, 21), np.linspace(-4, 4, 9), indexing="ij"
    )
    q3 = source_density_3d(cfg, x, y, z)
    q2 = source_distribution(cfg).density(np.hypot(x, y), z)
    assert np.array_equal(q3, q2)
    assert np.array_equal(arm_modulation(cfg.source, x, y), np.ones_like(x))


@pytest.mark.parametrize("vertical", ["exponential", "slab"])
def test_cell_averaged_vertical_profile_is_the_2d_engines(vertical):
    cfg = validate_config({"source": {"vertical": vertical, "vertical_scale_kpc": 0.2}})
    grid = Grid.build(20.0, 4.0, 21, 41, 1.0, 10.0, 4)
    two_d = source_distribution(cfg).on_grid(grid)
    radial = source_distribution(cfg).radial.shape(grid.r_kpc)
    inner = slice(1, -1)  # the 2D end cells are half cells
    dz = float(grid.z_kpc[1] - grid.z_kpc[0])
    ours = vertical_factor(cfg, grid.z_kpc[inner], dz)
    i = int(np.argmin(np.abs(grid.r_kpc - 8.5)))
    expected = two_d[i, inner] / two_d[i, inner].max() * ours.max()
    assert np.allclose(ours, expected, rtol=1e-12)
    assert radial[i] > 0


def test_fgk06_arms_cross_the_sun_centre_line_at_sagittarius_and_perseus():
    # FGK06 frame: the Sun at theta = pi/2; Sagittarius 1.2 kpc inside, Perseus 2.1 outside
    r = np.linspace(5.0, 12.0, 70001)
    phi = FAUCHER_GIGUERE_KASPI_2006.phi(r)
    names = FAUCHER_GIGUERE_KASPI_2006.names
    crossings = {}
    for k, name in enumerate(names):
        wrapped = np.angle(np.exp(1j * phi[k]))
        hit = np.nonzero((np.diff(np.sign(wrapped)) != 0) & (np.abs(wrapped[:-1]) < 1.0))[0]
        crossings[name] = r[hit]
    assert crossings["Carina-Sagittarius"] == pytest.approx([7.29], abs=0.01)
    assert crossings["Perseus"] == pytest.approx([10.58], abs=0.01)


def test_arms_are_trailing():
    # r grows towards -phi: against the rotation, which points to +phi (l = 90 deg, +y)
    r = np.array([6.0, 7.0])
    assert np.all(np.diff(FAUCHER_GIGUERE_KASPI_2006.phi(r), axis=1) < 0.0)


def test_on_the_axis_the_modulation_is_its_average():
    cfg = config(**FGK, radial="uniform")
    assert arm_modulation(cfg.source, 0.0, 0.0) == 1.0
    assert source_density_3d(cfg, 0.0, 0.0, 0.0) == pytest.approx(1.0)
