"""Tabulate secondary e- and e+ production cross sections for escapade (run once, offline).

Writes src/escapade/data/xsec/lepton_production_AAfrag_Kamae2006.txt: dsigma/dE_e (mb/GeV)
per collision of a CR nucleus (p or 4He) with an ISM atom (H or He), for electrons and
positrons, on a grid of projectile kinetic energy per nucleon T (GeV/n) x lepton energy E_e
(GeV).

Sources (both from the MIT-licensed ``aafragpy`` package, version recorded in the header;
``pip install aafragpy`` is needed only to rerun this script, not to use escapade):

* AAfrag (QGSJET-II-04m Monte Carlo tables; Kachelriess, Moskalenko & Ostapchenko 2019,
  CPC 245, 106846; Kachelriess, Ostapchenko & Tjemsland 2023, CPC 287, 108698; Koldobskiy
  et al. 2021, PRD 104, 123027) above the switch, T = 10 GeV/n (AAfrag starts at a total
  energy of 4-5 GeV, but there its e+ and e- yields differ from Kamae's by factors 2-4,
  while from 10 GeV/n up the two agree to 10-30 %);
* below it, the Kamae et al. 2006 (ApJ 647, 692; erratum ApJ 662, 779) p-p
  parametrisation (non-diffractive + diffractive + resonances) at the same T per nucleon,
  times one constant per channel and lepton that makes the lepton-energy-weighted cross
  section (E_e > 10 MeV) continuous at the switch energy.

Usage: python scripts/make_lepton_production_table.py
"""

from __future__ import annotations

import datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np
from aafragpy import Kamae2006
from aafragpy.aafrag import get_cross_section

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "escapade" / "data" / "xsec" / "lepton_production_AAfrag_Kamae2006.txt"

M_P = 0.93827208816
M_HE4 = 3.727379
MASS = {"p": M_P, "He": M_HE4}
A = {"p": 1, "He": 4}
T_SWITCH = 10.0  # GeV/n: AAfrag above, (scaled) Kamae below
SWITCH = {k: A[k] * T_SWITCH + MASS[k] for k in MASS}
CHANNELS = [("p", "p"), ("p", "He"), ("He", "p"), ("He", "He")]
LEPTONS = {
    "e-": ("el", Kamae2006.dXSdE_elec_Kamae2006),
    "e+": ("posi", Kamae2006.dXSdE_posi_Kamae2006),
}
T_GRID = np.geomspace(0.3, 1.0e6, 66)  # GeV/n, 10 per decade
E_GRID = np.geomspace(0.01, 1.0e5, 57)  # GeV, 8 per decade
T_KAMAE_MIN = 0.3  # Kamae's r_factor brings the yield to 0 towards the pion threshold


def kamae(func, t_gev: float, e: np.ndarray) -> np.ndarray:
    if t_gev < T_KAMAE_MIN:
        return np.zeros_like(e)
    out = np.array([func(t_gev, float(x), True) for x in e])
    return np.where(np.isfinite(out) & (out > 0), out, 0.0)


def aafrag(sec: str, proj: str, targ: str, e_tot: np.ndarray, e: np.ndarray) -> np.ndarray:
    cs, _, _ = get_cross_section(sec, f"{proj}-{targ}", e_tot, e, outside_bounds="zeros")
    cs = np.asarray(cs, dtype=float).reshape(-1, e.size)
    return np.where(np.isfinite(cs) & (cs > 0), cs, 0.0)


def energy_weighted(e: np.ndarray, dsig: np.ndarray) -> float:
    return float(np.trapezoid(dsig * e * e, np.log(e)))


def main() -> None:
    e_fine = np.geomspace(0.01, 1.0e3, 400)
    blocks = []
    factors = {}
    for proj, targ in CHANNELS:
        e_tot = A[proj] * T_GRID + MASS[proj]
        for lep, (sec, kfunc) in LEPTONS.items():
            t_sw = (SWITCH[proj] - MASS[proj]) / A[proj]
            a_sw = aafrag(sec, proj, targ, np.array([SWITCH[proj]]), e_fine)[0]
            k_sw = kamae(kfunc, t_sw, e_fine)
            f = energy_weighted(e_fine, a_sw) / energy_weighted(e_fine, k_sw)
            factors[(proj, targ, lep)] = f
            high = e_tot >= SWITCH[proj]
            tab = np.zeros((T_GRID.size, E_GRID.size))
            tab[high] = aafrag(sec, proj, targ, e_tot[high], E_GRID)
            for i in np.nonzero(~high)[0]:
                tab[i] = f * kamae(kfunc, float(T_GRID[i]), E_GRID)
            # energy conservation: no lepton above the projectile's kinetic energy
            tab[E_GRID[None, :] > (A[proj] * T_GRID)[:, None]] = 0.0
            blocks.append((proj, targ, lep, tab))
    lines = [
        "# Quantity: inclusive production cross section dsigma/dE_e [mb/GeV] of secondary",
        "#   electrons (e-) and positrons (e+) per collision of a cosmic-ray nucleus (p or 4He)",
        "#   with an interstellar atom (H or He).",
        "# Rows: projectile kinetic energy per nucleon T [GeV/n] (first column);",
        "#   columns: lepton energy E_e [GeV] (the 'E_e' line). One block per channel, headed",
        "#   'channel PROJECTILE TARGET LEPTON'.",
        "# Made by scripts/make_lepton_production_table.py with aafragpy "
        f"{version('aafragpy')} (MIT licence) on {datetime.date.today().isoformat()}:",
        "#   AAfrag (QGSJET-II-04m) for T >= 10 GeV/n:",
        "#   Kachelriess, Moskalenko & Ostapchenko 2019, CPC 245, 106846 (arXiv:1904.05129);",
        "#   Kachelriess, Ostapchenko & Tjemsland 2023, CPC 287, 108698 (arXiv:2206.00998);",
        "#   Koldobskiy et al. 2021, PRD 104, 123027 (arXiv:2110.00496, aafragpy).",
        "#   Below: Kamae et al. 2006, ApJ 647, 692 (erratum ApJ 662, 779) p-p parametrisation at",
        "#   the same T per nucleon, times a constant per channel making the E_e-weighted cross",
        "#   section continuous at the switch energy: "
        + ", ".join(f"{p}-{t} {lep} {f:.3f}" for (p, t, lep), f in factors.items()),
        "#   Kamae is used from T = 0.3 GeV/n (its threshold suppression); nothing below.",
        "#   Entries with E_e > A T are set to 0 (energy conservation).",
        "E_e " + " ".join(f"{x:.6e}" for x in E_GRID),
    ]
    for proj, targ, lep, tab in blocks:
        lines.append(f"channel {proj} {targ} {lep}")
        for t, row in zip(T_GRID, tab, strict=True):
            lines.append(f"{t:.6e} " + " ".join(f"{x:.4e}" for x in row))
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.0f} kB); factors {factors}")


if __name__ == "__main__":
    main()
