"""docs/figures/anisotropy_fig3.png, anisotropy_knee_spectra.png and the numbers of
docs/anisotropy.md, from the output folder of a full ``escapade reproduce``.

Reads ``RESULTS/scan_letter.nc`` (the letter-era fits). ``RESULTS/scan_stochastic.nc`` (the
stochastic nearby sources, written by reproduce since issue 18) is read when it is there;
else the stochastic step of reproduce is run here at the full settings (D0 of the letter-era
fits at tau = 0 and 0.85; 10000 realisations, seed 0) into ``RESULTS``. Prints the report's
section on the nearby sources (the table of docs/anisotropy.md) and its claim row.
Usage: python scripts/make_anisotropy_figures.py RESULTS
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import xarray as xr

from escapade.plots.base import save
from escapade.plots.reproduce import anisotropy_figure, knee_spectra_figure
from escapade.reproduce.settings import FULL
from escapade.reproduce.stochastic import (
    fitted_d0,
    run_stochastic,
    stochastic_claim,
    stochastic_table,
    summarise_stochastic,
)

FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures"


def main() -> None:
    results = Path(sys.argv[1])
    letter = xr.load_dataset(results / "scan_letter.nc")
    t0 = time.perf_counter()
    stoch = run_stochastic(FULL, fitted_d0(letter), results)
    wall = time.perf_counter() - t0
    st = summarise_stochastic(stoch, FULL)
    save(anisotropy_figure(letter, stoch), FIGURES / "anisotropy_fig3.png")
    save(knee_spectra_figure(stoch), FIGURES / "anisotropy_knee_spectra.png")
    (results / "stochastic_summary.json").write_text(json.dumps(st, indent=2))
    print("\n".join(stochastic_table(st)))
    claim, verdict, numbers = stochastic_claim(st)
    print(f"\n| {claim} | {numbers} | {verdict} |")
    print(f"\nstochastic step: {wall:.0f} s; wrote {FIGURES}/anisotropy_*.png")


if __name__ == "__main__":
    main()
