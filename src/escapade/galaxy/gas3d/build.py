"""The gas model of a run configuration: ``[gas] model`` to a gas object."""

from __future__ import annotations

from ...config import Config
from ..gas import AnalyticGas
from .model import SurveyGas3D, SurveyOptions


def build_gas(cfg: Config) -> AnalyticGas | SurveyGas3D:
    """The gas of ``cfg``: :class:`AnalyticGas` or :class:`SurveyGas3D` (``model = "survey3d"``).

    Both have the azimuthal-average face used by the transport (``n_hi_cm3(r, z)``,
    ``n_h2_cm3``, ``n_hii_cm3``, ``he_to_h``, ``on_grid``); SurveyGas3D also has the 3D face
    (``n_hi_3d_cm3(x, y, z)`` and the others) for line-of-sight work.
    """
    g = cfg.gas
    analytic = AnalyticGas(
        x_co=g.x_co, he_to_h=g.he_to_h, enabled=g.enabled, sun_r_kpc=cfg.galaxy.sun_r_kpc
    )
    if g.model == "galprop_analytic":
        return analytic
    options = SurveyOptions(
        hi_survey_constraint=g.hi_survey_constraint,
        hi_flare=g.hi_flare,
        hi_warp=g.hi_warp,
        dark_gas=g.dark_gas,
        dust_map=g.dust_map,
        dust_to_gas_cm2_mag=g.dust_to_gas_cm2_mag,
    )
    return SurveyGas3D(
        analytic=analytic,
        sun_r_kpc=cfg.galaxy.sun_r_kpc,
        r_max_kpc=cfg.galaxy.r_max_kpc,
        z_max_kpc=cfg.galaxy.halo_height_kpc,
        options=options,
    )
