"""docs/figures/stochastic_dipole.png, stochastic_spectra.png and the numbers of
docs/stochastic.md (issue 18).

The default config at tau = 0.85 and tau = 0 on a 41 x 81 grid, 10 GeV/n to 1 PeV/n (0.1 dex
steps), 1H + 4He, with the default [stochastic] section and N realisations (seed 0). Prints,
at 1, 10, 100 TeV/n and 1 PeV/n, the smooth dipole, the stochastic median with its 68 % band,
P(A < 1e-3) and the 68 % band of the 1H flux ratio. The spectra figure holds the tau = 0.85
bands of 1H and 4He against the knee-region tables of the project's shared data
(../shared/data/cr/knee/, provenance in its README) and the DAMPE proton spectrum.
Usage: python scripts/make_stochastic_figure.py [N]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import escapade
from escapade.constants import M_PROTON_GEV
from escapade.observables.stochastic import with_stochastic
from escapade.plots.base import save
from escapade.plots.stochastic import stochastic_dipole_figure, stochastic_spectra_figure

FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures"
OUT = FIGURES / "stochastic_dipole.png"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "cr"
KNEE = {
    # label: (species, file under SHARED, rest mass to add to a kinetic-energy x axis [GeV])
    "DAMPE p": ("1H", "kiss/DAMPE_H_kineticEnergy.txt", M_PROTON_GEV),
    "GRAPES-3 p": ("1H", "knee/GRAPES-3_H_totalEnergy.txt", 0.0),
    "KASCADE p (Kuznetsov 2024)": ("1H", "knee/KASCADE_Kuznetsov2024_H_totalEnergy.txt", 0.0),
    "LHAASO p (EPOS-LHC)": ("1H", "knee/LHAASO_EPOS-LHC_H_totalEnergy.txt", 0.0),
    "KASCADE He (Kuznetsov 2024)": ("4He", "knee/KASCADE_Kuznetsov2024_He_totalEnergy.txt", 0.0),
}


def knee_data() -> dict:
    """label -> (species, E_total, flux, error) from the KISS-format tables (x, y, stat_lo,
    stat_up, sys_lo, sys_up); the error is the upper statistical and systematic in quadrature."""
    out = {}
    for label, (sp, name, mass) in KNEE.items():
        path = SHARED / name
        if not path.is_file():
            print(f"skipped {label}: {path} not found")
            continue
        t = np.atleast_2d(np.loadtxt(path, comments="#"))
        err = np.hypot(t[:, 3], t[:, 5]) if t.shape[1] >= 6 else t[:, 2]
        out[label] = (sp, t[:, 0] + mass, t[:, 1], err)
    return out


def solve(tau: float, n: int):
    cfg = escapade.validate_config(
        {
            "grid": {"nr": 41, "nz": 81, "n_ekin": 51, "ekin_min_gev_per_n": 10.0},
            "diffusion": {"tau": tau},
            "stochastic": {"enabled": True, "n_realisations": n},
        }
    )
    cfg = escapade.with_updates(cfg, {"grid.ekin_max_gev_per_n": 1e6})
    return with_stochastic(escapade.Solution.compute(cfg))


def table(sol) -> str:
    ds = sol.dataset
    e = ds["ekin_gev_per_n"].values
    rows = []
    for target in (1e3, 1e4, 1e5, 1e6):
        k = int(np.argmin(np.abs(np.log(e / target))))
        a = ds["stochastic_dipole_amplitude"].values[:, k]
        q = np.quantile(a, [0.16, 0.5, 0.84])
        r = np.quantile(ds["stochastic_flux_ratio"].sel(species="1H").values[:, k], [0.16, 0.84])
        rows.append(
            f"| {e[k] / 1e3:g} | {float(ds['anisotropy_all_nuclei'].values[k]):.2e} | "
            f"{q[1]:.2e} | {q[0]:.2e} - {q[2]:.2e} | {np.mean(a < 1e-3):.3f} | "
            f"{r[0]:.2f} - {r[1]:.2f} |"
        )
    head = (
        "| E [TeV/n] | smooth dipole | stochastic median | 68 % band | P(A < 1e-3) "
        "| 1H flux ratio, 68 % |\n|---|---|---|---|---|---|\n"
    )
    return head + "\n".join(rows)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    sols = {f"tau = {tau:g}": solve(tau, n) for tau in (0.85, 0.0)}
    save(stochastic_dipole_figure(sols, e_range=(1e2, 1e6)), OUT)
    save(
        stochastic_spectra_figure(sols["tau = 0.85"], knee_data()),
        FIGURES / "stochastic_spectra.png",
    )
    for label, sol in sols.items():
        print(f"\n{label}, {n} realisations\n\n{table(sol)}")
    print(f"\nwrote {OUT}")


if __name__ == "__main__":
    main()
