"""What ``escapade reproduce`` runs: the tau values, the data, the bands and the resolutions."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..config import Config, load_config, with_updates

TAUS = (0.0, 0.2, 0.5, 0.7, 0.8, 0.85, 0.9, 1.0)
LETTER_DATA = ("B/C:HEAO-3", "B/C:PAMELA", "B/C:CREAM")
MODERN_DATA = ("B/C:AMS-02",)
ANISO_TEV = (0.1, 1.0, 10.0)
GAMMA_BAND = (2.0, 20.0)
PHI_GV = 0.6
PHI_PRIOR_GV = 0.2
FIG1_BAND = (0.1, 100.0)
VERDICT_GAS = "survey3d_dark"
"""The gas model of the verdict on the letter's gamma-ray claim (of
:data:`escapade.reproduce.gamma.GAS_MODELS`): the survey3d gas with the SFD98 dust-residual dark
gas, the model that describes the sky best (the lowest model-systematic fraction of the
template likelihood and the lowest profile chi2, docs/gamma.md); the report shows every gas
model."""


@dataclass(frozen=True)
class Settings:
    """Resolution of a reproduction run."""

    nr: int
    nz: int
    n_ekin: int
    z_max: int
    nside: int
    label: str
    fit_nr: int | None = None  # spatial grid of the fit's solves (None: nr, nz)
    fit_nz: int | None = None
    # the stochastic nearby sources (reproduce.stochastic): nr, nz, n_ekin of the 1H + 4He
    # solve from 10 GeV/n to 1 PeV/n, and the number of realisations
    stochastic_grid: tuple[int, int, int] = (41, 81, 41)
    stochastic_realisations: int = 10000
    # the posterior of (tau, D0, phi) on the letter-era B/C (reproduce.posterior): nr, nz,
    # n_ekin and z_max of its solves, emcee's walkers x steps, and the local dask worker
    # processes that evaluate the walkers (None: one after the other in this process). One
    # evaluation (a transport solve) on 41 x 41 x 20, Z <= 8 took 0.75-0.8 s in one process at
    # load 1.8 on 2 cores, 0.86 CPU-s on a worker at load 19: 16 x 28 on two workers keeps the
    # step under ~4 min on 2 free cores (docs/fits.md)
    posterior_grid: tuple[int, int, int, int] = (41, 41, 20, 8)
    posterior_walkers: int = 16
    posterior_steps: int = 28
    posterior_workers: int | None = 2


# The fit's solves use half the spatial resolution: D0 moves by 0.05 % between 41 x 81 and
# 81 x 161 (docs/fits.md, 0.07 of its error) for a quarter of the cost; everything reported
# is then solved once at the full resolution, where phi is refitted and the chi2 evaluated.
FULL = Settings(
    81,
    161,
    64,
    14,
    128,
    "81 x 161 x 64, Z <= 14, nside 128 (fits on 41 x 81 x 64)",
    fit_nr=41,
    fit_nz=81,
)
FAST = Settings(
    31,
    61,
    24,
    8,
    32,
    "31 x 61 x 24, Z <= 8, nside 32 (quick look)",
    stochastic_grid=(31, 61, 21),
    stochastic_realisations=1000,
    posterior_grid=(21, 21, 12, 8),
    posterior_walkers=8,
    posterior_steps=12,
)


def base_config(settings: Settings) -> Config:
    """The letter preset at the run's resolution."""
    preset = resources.files("escapade").joinpath("configs/letter_tau0.85.toml")
    cfg = load_config(Path(str(preset)))
    return with_updates(
        cfg,
        {
            "grid.nr": settings.nr,
            "grid.nz": settings.nz,
            "grid.n_ekin": settings.n_ekin,
            "species.z_max": settings.z_max,
        },
    )
