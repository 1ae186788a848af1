"""Figure docs/figures/gas_columns.png: the columns of the survey3d gas next to the surveys.

The default ``[gas] model = "survey3d"`` gas (no dark gas) of the default ``[galaxy]``
(R_sun = 8.5 kpc, R_max = 20 kpc, H = 4 kpc), projected with its line-of-sight kernel
(escapade.sky.gas_columns.gas_column_maps, nside 64: the survey's grid). Prints the numbers
quoted in docs/gamma.md. Usage: python scripts/make_gas_figures.py [--out PATH] [--dark-gas]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import escapade
from escapade.galaxy.gas3d import build_gas
from escapade.plots import save
from escapade.plots.gas import gas_columns_figure
from escapade.sky.gas_columns import gas_column_maps
from escapade.sky.geometry import Geometry
from escapade.sky.pixels import pixel_lonlat_deg

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "figures" / "gas_columns.png"))
    ap.add_argument("--dark-gas", action="store_true", help="with [gas] dark_gas = true")
    args = ap.parse_args()
    cfg = escapade.validate_config({"gas": {"model": "survey3d", "dark_gas": args.dark_gas}})
    g = cfg.galaxy
    gas = build_gas(cfg)
    cols = gas_column_maps(gas, Geometry(g.sun_r_kpc, g.r_max_kpc, g.halo_height_kpc))
    _, lat = pixel_lonlat_deg(64)
    plane = np.abs(lat) < 5.0
    ratio = cols["HI_model"] / cols["HI4PI"]
    dev = np.max(np.abs(cols["HI"] / cols["HI4PI"] - 1.0))
    print(f"HI column vs HI4PI: max |ratio - 1| = {dev:.2e} over {ratio.size} pixels")
    for name, sel in (("all sky", slice(None)), ("|b| < 5 deg", plane)):
        q = np.percentile(ratio[sel], [5, 50, 95])
        print(f"unconstrained HI / HI4PI, {name}: 5/50/95 % = {q[0]:.2f} / {q[1]:.2f} / {q[2]:.2f}")
    for name in ("HI", "H2", "HII", "dark", "total"):
        if name in cols:
            v = cols[name]
            print(
                f"{name}: median {np.median(v):.3e} (|b| < 5 deg: {np.median(v[plane]):.3e}), "
                f"max {v.max():.3e} H cm^-2"
            )
    fig = gas_columns_figure(
        cols, title="escapade survey3d gas, columns seen from R$_\\odot$ = 8.5 kpc (nside 64)"
    )
    save(fig, args.out)
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 1024:.0f} kB)")


if __name__ == "__main__":
    main()
