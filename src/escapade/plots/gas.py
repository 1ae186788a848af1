"""Figures of the interstellar gas: column-density maps of the survey3d model.

:func:`gas_columns_figure` takes the maps of :func:`escapade.sky.gas_columns.gas_column_maps`
(HEALPix RING, Galactic, H atoms cm^-2) and draws four plate-carree panels (l from +180 on
the left to -180 on the right, as sky maps are drawn): the HI4PI column (the model's HI equals
it sight line by sight line), the ratio of the unconstrained HI disc's column to HI4PI, the
H2 of Pohl et al. 2008 (2 N_H2) and the total column of all phases.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np
from astropy_healpix import lonlat_to_healpix
from matplotlib.colors import LogNorm

from .base import plt

__all__ = ["gas_columns_figure"]


def _image(values, step_deg: float):
    """A RING map sampled on a (b, l) grid: rows b from -90 to 90, columns l from 180 to -180."""
    values = np.asarray(values, float)
    nside = int(round(np.sqrt(values.size / 12)))
    lon = np.arange(180.0 - step_deg / 2, -180.0, -step_deg)
    lat = np.arange(-90.0 + step_deg / 2, 90.0, step_deg)
    lg, bg = np.meshgrid(lon, lat)
    pix = lonlat_to_healpix(np.mod(lg, 360.0) * u.deg, bg * u.deg, nside, order="ring")
    return values[pix]


def _panel(fig, ax, image, title, label, norm, cmap):
    im = ax.imshow(
        image,
        origin="lower",
        extent=(180, -180, -90, 90),
        norm=norm,
        cmap=cmap,
        aspect="equal",
        interpolation="nearest",
    )
    ax.set_title(title, fontsize=10)
    ax.set_xticks([180, 90, 0, -90, -180])
    ax.set_yticks([-60, -30, 0, 30, 60])
    ax.set_xlabel("l [deg]")
    ax.set_ylabel("b [deg]")
    fig.colorbar(im, ax=ax, label=label, shrink=0.85, pad=0.02)


def gas_columns_figure(columns: dict, step_deg: float = 1.0, title: str | None = None):
    """Four panels of gas columns; ``columns`` as
    :func:`escapade.sky.gas_columns.gas_column_maps` returns them."""
    missing = [k for k in ("HI4PI", "HI_model", "H2", "total") if k not in columns]
    if missing:
        raise ValueError(f"columns: no {missing[0]!r} map (have {', '.join(columns)})")
    fig, axes = plt.subplots(2, 2, figsize=(11.0, 5.8), layout="constrained")
    label = "N [H atoms cm$^{-2}$]"
    hi = _image(columns["HI4PI"], step_deg)
    _panel(
        fig,
        axes[0, 0],
        hi,
        "HI4PI N$_{HI}$ (= the model's HI, sight line by sight line)",
        label,
        LogNorm(1e19, 3e22),
        "viridis",
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = _image(columns["HI_model"], step_deg) / hi
    _panel(
        fig,
        axes[0, 1],
        ratio,
        "unconstrained HI disc / HI4PI (= 1 / survey factor)",
        "ratio",
        LogNorm(0.1, 10.0),
        "RdBu_r",
    )
    _panel(
        fig,
        axes[1, 0],
        _image(np.maximum(columns["H2"], 1e17), step_deg),
        "H$_2$: 2 N$_{H2}$ (Pohl et al. 2008 cube; analytic outside it)",
        label,
        LogNorm(1e19, 3e23),
        "magma",
    )
    phases = "HI + 2 H$_2$ + HII" + (" + dark" if "dark" in columns else "")
    _panel(
        fig,
        axes[1, 1],
        _image(columns["total"], step_deg),
        f"total N$_H$ = {phases}",
        label,
        LogNorm(1e19, 3e23),
        "viridis",
    )
    if title:
        fig.suptitle(title, fontsize=11)
    return fig
