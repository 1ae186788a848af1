"""Gamma-ray benchmark: pi0 emissivity on the grid, HEALPix sky maps, longitude profiles.

The letter preset (tau = 0.85) on its 81 x 161 x 64 grid, solved once with the full density,
Z <= 2 (1H, 2H, 3He, 4He: every projectile the pi0 model uses; heavier nuclei are skipped by
the emissivity, so the preset's Z <= 28 network would only add solve time). For each band,
in fresh processes (best of 3), the first call in a process (matrices, gas table) and a
second, warm call:
- ``escapade.emissivity(ds, band)`` on the whole (R, z) grid;
- ``escapade.skymap(ds, band, nside)`` at nside 128 and 256 (all pixels, 3 gas phases);
- ``escapade.longitude_profile(ds, band, b_max_deg=5)`` (only the |b| < 5 deg pixels, nside 128);
and the whole ``escapade gamma`` command for both bands at nside 128.
Usage: python benchmarks/bench_gamma.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _util import cold_warm, measure, record

import escapade

PRESET = Path(__file__).resolve().parents[1] / "configs" / "letter_tau0.85.toml"
UPDATES = {"species.z_max": 2}
BANDS = [(1.104, 1.442), (2.0, 20.0)]
NSIDES = [128, 256]


def main() -> None:
    cfg = escapade.with_updates(escapade.load_config(PRESET), UPDATES)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "full.nc"
        ds = escapade.solve(cfg, full=True)
        escapade.write_solution(ds, path)
        species = ", ".join(str(s) for s in ds.species.values)
        rows = [
            "| task | band [GeV] | warm [s] | first call in a process [s] | max RSS [MB] |",
            "|---|---|---|---|---|",
        ]

        def add(task, band, rec):
            row = (
                f"| {task} | {band[0]:g}-{band[1]:g} | {rec['warm']:.3f} | {rec['cold']:.3f} | "
                f"{rec['max_rss_mb']:.0f} |"
            )
            print(row)
            rows.append(row)

        for band in BANDS:
            add(
                "emissivity q(R, z), 81 x 161 grid",
                band,
                cold_warm(path, f"escapade.emissivity(ds, {band})"),
            )
            for nside in NSIDES:
                rec = cold_warm(path, f"escapade.skymap(ds, {band}, {nside})")
                add(f"full-sky map, nside {nside} ({12 * nside**2} pixels)", band, rec)
            rec = cold_warm(path, f"escapade.longitude_profile(ds, {band}, b_max_deg=5)")
            add("longitude profile, abs(b) < 5 deg, 2-deg bins, nside 128", band, rec)
        out = Path(tmp) / "sky"
        argv = ["gamma", str(path), "--bands", "1.104:1.442,2:20", "--nside", "128", "-o", str(out)]
        cli = measure(
            f"from escapade.cli import main; import io, contextlib; argv = {argv!r}",
            "with contextlib.redirect_stdout(io.StringIO()): main(argv)",
        )
    row = (
        f"| `escapade gamma --bands 1.104:1.442,2:20 --nside 128` (read, 2 bands x 4 maps, "
        f"FITS, CSV) | both | {cli['wall_s']:.2f} | | {cli['max_rss_mb']:.0f} |"
    )
    print(row)
    rows.append(row)
    note = (
        f"\n\nLetter preset (tau = 0.85), 81 x 161 x 64, species {species} "
        "(`species.z_max = 2`: the pi0 projectiles). Best of 3 fresh processes; the first call "
        "also imports the gamma-ray modules (astropy, astropy-healpix) and builds the production "
        "matrices (AAfrag/Kamae tables) and the fine gas table; the warm call reuses them (as a "
        "second band or a second solution in one session does). Maps: pi0 HI, H2, HII and "
        "total, adaptive line-of-sight steps, l in [0, 180] integrated and mirrored, 2 threads. "
        "Target: nside 256 under 10 s on 2 cores."
    )
    record(
        "Gamma rays: emissivity, sky maps, longitude profiles (bench_gamma.py)",
        "\n".join(rows) + note,
    )


if __name__ == "__main__":
    main()
