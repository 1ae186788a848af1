"""Lepton benchmark: e-/e+ propagation and the inverse Compton / bremsstrahlung sky maps.

The letter preset (tau = 0.85) on its 81 x 161 x 64 grid with Z <= 2 (the projectiles of
the secondary e+- and pi0 models) and ``[leptons] enabled = true`` (defaults: primary e-,
secondary e- and e+, energy_refinement 3 -> 190 lepton energies), in fresh processes
(best of 2):
- the whole solve with leptons and without (the difference is the lepton propagation:
  three energy marches, the production matrices and the loss tables);
- ``escapade.skymap(ds, (2, 20), nside)`` at nside 128 with pi0 + IC + bremsstrahlung,
  with the anisotropic IC (l <= 4, the default, and l <= 8) and with ``leptons=False``
  (pi0 alone), warm (second call in the process);
- ``ic_emissivity_band`` on the whole (R, z) grid (first call: the KN matrices).
Usage: python benchmarks/bench_leptons.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _util import cold_warm, measure, record

import escapade

PRESET = Path(__file__).resolve().parents[1] / "configs" / "letter_tau0.85.toml"
UPDATES = {"species.z_max": 2, "species.antiprotons": False}


def _solve(leptons: bool) -> dict:
    setup = (
        f"cfg = escapade.with_updates(escapade.load_config({str(PRESET)!r}), "
        f"{UPDATES | {'leptons.enabled': leptons}!r})"
    )
    return measure(setup, "ds = escapade.solve(cfg)", repeat=2)


def main() -> None:
    rows = [
        "| task | time [s] | first call in a process [s] | max RSS [MB] |",
        "|---|---|---|---|",
    ]

    def add(task, t, cold, rss):
        row = f"| {task} | {t:.2f} | {cold} | {'' if rss is None else f'{rss:.0f}'} |"
        print(row)
        rows.append(row)

    with_l = _solve(True)
    without = _solve(False)
    add("solve, Z <= 2 + e-, e+ (81 x 161 x 64)", with_l["wall_s"], "", with_l["max_rss_mb"])
    add("solve, Z <= 2 without leptons", without["wall_s"], "", without["max_rss_mb"])
    add("lepton propagation (difference)", with_l["wall_s"] - without["wall_s"], "", None)
    cfg = escapade.with_updates(escapade.load_config(PRESET), UPDATES | {"leptons.enabled": True})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "full.nc"
        escapade.write_solution(escapade.solve(cfg, full=True), path)
        for label, call in (
            (
                "IC emissivity on the (R, z) grid, 2-20 GeV",
                "__import__('escapade.emission.leptonic', fromlist=['x'])"
                ".ic_emissivity_band(ds, (2.0, 20.0))",
            ),
            (
                "sky map nside 128, 2-20 GeV, pi0 + IC + brems",
                "escapade.skymap(ds, (2.0, 20.0), 128)",
            ),
            (
                "sky map nside 128, 2-20 GeV, pi0 + anisotropic IC (l <= 4) + brems",
                "escapade.skymap(ds, (2.0, 20.0), 128, ic_anisotropic=True)",
            ),
            (
                "sky map nside 128, 2-20 GeV, pi0 + anisotropic IC (l <= 8) + brems",
                "escapade.skymap(ds, (2.0, 20.0), 128, ic_anisotropic=True, ic_lmax=8)",
            ),
            (
                "sky map nside 128, 2-20 GeV, pi0 only (leptons=False)",
                "escapade.skymap(ds, (2.0, 20.0), 128, leptons=False)",
            ),
        ):
            rec = cold_warm(path, call, repeat=2)
            add(label, rec["warm"], f"{rec['cold']:.2f}", rec["max_rss_mb"])
    note = (
        "Letter preset (tau = 0.85), 81 x 161 x 64, `species.z_max = 2`, antiprotons off, "
        "`[leptons] enabled = true` with its defaults (primary e-, secondary e- and e+, "
        "190 lepton energies: energy_refinement 3). Solves: best of 2 fresh processes. "
        "Maps and IC emissivity: second (warm) call in a process; the first call also builds "
        "the Klein-Nishina matrices (3 ISRF black bodies), the bremsstrahlung matrix and the "
        "fine gas table; with the anisotropic IC also the ISRF's harmonic coefficients (two "
        "emitting discs, 3-6 s each) and the kernel moments."
    )
    record(
        "Leptons: e-/e+ propagation and IC maps (bench_leptons.py)", "\n".join(rows) + "\n\n" + note
    )


if __name__ == "__main__":
    main()
