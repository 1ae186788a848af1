"""Columns of the survey3d gas (sky.gas_columns) and their figure (plots.gas)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from escapade.galaxy.gas import AnalyticGas
from escapade.galaxy.gas3d import SurveyGas3D
from escapade.plots.gas import gas_columns_figure
from escapade.sky.gas_columns import gas_column_maps
from escapade.sky.geometry import Geometry
from escapade.sky.pixels import pixel_lonlat_deg

GEOM = Geometry(8.5, 20.0, 4.0)


def _synthetic(nside=16) -> dict[str, np.ndarray]:
    _, lat = pixel_lonlat_deg(nside)
    disc = 1e21 * np.exp(-np.abs(lat) / 5.0) + 1e20
    return {
        "HI": disc,
        "HI4PI": disc,
        "HI_model": 1.2 * disc,
        "H2": 1e22 * np.exp(-np.abs(lat)),
        "HII": 0.1 * disc,
        "total": 1.1 * disc + 1e22 * np.exp(-np.abs(lat)),
    }


def test_figure_builds_from_maps():
    fig = gas_columns_figure(_synthetic(), title="synthetic")
    assert isinstance(fig, Figure) and len(fig.axes) == 8  # 4 panels and their colour bars
    titles = " ".join(ax.get_title() for ax in fig.axes)
    assert "HI4PI" in titles and "Pohl" in titles and "total" in titles


def test_figure_names_a_missing_map():
    cols = _synthetic()
    del cols["H2"]
    with pytest.raises(ValueError, match="no 'H2' map"):
        gas_columns_figure(cols)


def test_analytic_gas_has_no_columns_here():
    with pytest.raises(ValueError, match="model = 'survey3d'"):
        gas_column_maps(AnalyticGas(), GEOM)


@pytest.mark.slow
def test_columns_of_the_survey3d_gas():
    """q = 1 through the kernel: HI is HI4PI, total is the sum of the phases (nside 64 and 32)."""
    gas = SurveyGas3D(sun_r_kpc=8.5, r_max_kpc=20.0, z_max_kpc=4.0)
    cols = gas_column_maps(gas, GEOM)
    assert np.max(np.abs(cols["HI"] / cols["HI4PI"] - 1.0)) < 1e-5
    assert np.allclose(cols["total"], cols["HI"] + cols["H2"] + cols["HII"], rtol=1e-12)
    assert np.array_equal(cols["HI_model"], gas.model_hi_column_cm2)
    assert np.all(cols["H2"] >= 0.0) and cols["H2"].max() > 1e23
    coarse = gas_column_maps(gas, GEOM, nside=32)
    assert coarse["total"].size == 12 * 32**2
    assert np.isclose(coarse["total"].mean(), cols["total"].mean(), rtol=1e-10)
