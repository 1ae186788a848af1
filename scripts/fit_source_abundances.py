"""Fit the source abundances of the `ams02` preset to AMS-02 element fluxes.

For every element with an AMS-02 flux table, the abundance of its isotopes (in
solar-system proportions, IUPAC 2013: Meija et al. 2016, Pure Appl. Chem. 88, 293)
is rescaled until the modulated model flux (force field, phi = 0.6 GV) matches the
data in 20-200 GV (median of data/model); secondaries from heavier nuclei are
recomputed at every iteration. Writes src/escapade/data/abundances/ams02.toml.

Usage: python scripts/fit_source_abundances.py [--iterations 4] [--grid 81x161x64]
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

import numpy as np

import escapade
from escapade.config import config_to_dict
from escapade.measurements import load_measurement
from escapade.observables.local import local_flux

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "escapade" / "data" / "abundances" / "ams02.toml"

# isotopic fractions (by number) of the injected elements, IUPAC 2013 representative values
ISOTOPES = {
    "H": {"1H": 1.0},
    "He": {"4He": 1.0},
    "C": {"12C": 0.9893, "13C": 0.0107},
    "N": {"14N": 0.99636, "15N": 0.00364},
    "O": {"16O": 0.99757, "17O": 0.00038, "18O": 0.00205},
    "Ne": {"20Ne": 0.9048, "21Ne": 0.0027, "22Ne": 0.0925},
    "Na": {"23Na": 1.0},
    "Mg": {"24Mg": 0.7899, "25Mg": 0.1000, "26Mg": 0.1101},
    "Al": {"27Al": 1.0},
    "Si": {"28Si": 0.92223, "29Si": 0.04685, "30Si": 0.03092},
    "S": {"32S": 0.9499, "33S": 0.0075, "34S": 0.0425, "36S": 0.0001},
    "Fe": {"54Fe": 0.05845, "56Fe": 0.91754, "57Fe": 0.02119, "58Fe": 0.00282},
}
START = {
    "H": 1.0,
    "He": 0.1,
    "C": 3e-3,
    "N": 3e-4,
    "O": 4e-3,
    "Ne": 6e-4,
    "Na": 5e-5,
    "Mg": 8e-4,
    "Al": 1e-4,
    "Si": 8e-4,
    "S": 1e-4,
    "Fe": 8e-4,
}
PHI_GV = 0.6
WINDOW_GV = (20.0, 200.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=4)
    ap.add_argument("--grid", default="81x161x64")
    ap.add_argument("--config", default=str(ROOT / "configs" / "letter_tau0.85.toml"))
    args = ap.parse_args()
    nr, nz, ne = (int(v) for v in args.grid.split("x"))
    base = config_to_dict(escapade.load_config(args.config))
    base["grid"].update(nr=nr, nz=nz, n_ekin=ne)
    base["species"] = {"z_max": 28, "abundance_preset": "none"}
    elem_ab = dict(START)
    data = {el: load_measurement(f"{el}:AMS-02") for el in ISOTOPES}
    for it in range(args.iterations):
        ab = {iso: elem_ab[el] * f for el, fr in ISOTOPES.items() for iso, f in fr.items()}
        cfg = escapade.validate_config({**base, "species": {**base["species"], "abundances": ab}})
        ds = escapade.solve(cfg)
        print(f"iteration {it + 1}: {ds.attrs['run_seconds']:.1f} s")
        for el, m in data.items():
            sel = (m.x >= WINDOW_GV[0]) & (m.x <= WINDOW_GV[1])
            model = local_flux(ds, el, PHI_GV, "rigidity", m.x[sel]).values
            ratio = float(np.median(m.y[sel] / model))
            if el == "H":
                continue  # the normalisation of the run fixes 1H
            elem_ab[el] = max(elem_ab[el] * ratio, 0.0)
            print(f"  {el:2s} data/model = {ratio:6.3f} -> abundance {elem_ab[el]:.4e}")
    lines = [
        "# Source abundances relative to 1H at the reference rigidity (10 GV), per isotope.",
        f"# Fitted by scripts/fit_source_abundances.py on {datetime.date.today().isoformat()}",
        f"# model: {Path(args.config).name} with z_max = 28 on {args.grid} (R x z x E);",
        f"# data: AMS-02 element fluxes vs rigidity, median data/model in {WINDOW_GV[0]:g}-"
        f"{WINDOW_GV[1]:g} GV, force field phi = {PHI_GV} GV ({args.iterations} iterations);",
        "# isotopes of an element in IUPAC 2013 proportions (Meija et al. 2016).",
        "[abundances]",
    ]
    for el, fr in ISOTOPES.items():
        for iso, f in fr.items():
            lines.append(f'"{iso}" = {elem_ab[el] * f:.6e}')
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
