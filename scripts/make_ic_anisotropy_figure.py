"""Figure docs/figures/ic_anisotropic.png: anisotropic vs isotropic inverse Compton.

The letter's model with leptons (configs/letter_tau0.85_leptons.toml, nuclei up to He:
the pi0 projectiles), 2-20 GeV, nside 64: the ratio map anisotropic / isotropic IC and
the IC intensity along the meridians l = 0, 90, 180 deg. Prints the figures quoted in
docs/leptons.md. Usage: python scripts/make_ic_anisotropy_figure.py [--out PATH]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import astropy.units as u
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from astropy_healpix import lonlat_to_healpix  # noqa: E402

import escapade  # noqa: E402
from escapade.sky.assemble import skymap  # noqa: E402
from escapade.sky.pixels import pixel_lonlat_deg  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "configs" / "letter_tau0.85_leptons.toml"
BAND = (2.0, 20.0)
NSIDE = 64


def _meridian(values, lon, lat, l0, width=4.0, b_bin=4.0):
    dl = np.abs((lon - l0 + 180.0) % 360.0 - 180.0)
    sel = dl < width
    edges = np.arange(-90.0, 90.0 + b_bin, b_bin)
    idx = np.digitize(lat[sel], edges) - 1
    v = values[sel]
    mean = np.array(
        [v[idx == i].mean() if np.any(idx == i) else np.nan for i in range(edges.size - 1)]
    )
    return 0.5 * (edges[:-1] + edges[1:]), mean


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "figures" / "ic_anisotropic.png"))
    args = ap.parse_args()
    cfg = escapade.with_updates(
        escapade.load_config(PRESET), {"species.z_max": 2, "species.antiprotons": False}
    )
    ds = escapade.solve(cfg, full=True)
    iso = skymap(ds, BAND, NSIDE)
    ani = skymap(ds, BAND, NSIDE, ic_anisotropic=True)
    ani8 = skymap(ds, BAND, NSIDE, ic_anisotropic=True, ic_lmax=8)
    lon, lat = pixel_lonlat_deg(NSIDE)
    ratio = ani.maps["IC"] / iso.maps["IC"]

    fig = plt.figure(figsize=(12, 8.5))
    ax0 = fig.add_subplot(2, 1, 1)
    lg = np.linspace(180, -180, 721)
    bg = np.linspace(-90, 90, 361)
    ll, bb = np.meshgrid(lg, bg)
    pix = lonlat_to_healpix((ll % 360) * u.deg, bb * u.deg, NSIDE, order="ring")
    im = ax0.imshow(
        ratio[pix],
        origin="lower",
        extent=(180, -180, -90, 90),
        cmap="RdBu_r",
        vmin=0.5,
        vmax=1.5,
        aspect="auto",
    )
    fig.colorbar(im, ax=ax0, label="IC anisotropic / isotropic")
    ax0.set_xlabel("l [deg]")
    ax0.set_ylabel("b [deg]")
    ax0.set_title(f"Inverse Compton {BAND[0]:g}-{BAND[1]:g} GeV, letter model tau = 0.85")
    ax1 = fig.add_subplot(2, 2, 3)
    ax2 = fig.add_subplot(2, 2, 4)
    for l0, col in ((0.0, "C3"), (90.0, "C2"), (180.0, "C0")):
        b, vi = _meridian(iso.maps["IC"], lon, lat, l0)
        _, va = _meridian(ani.maps["IC"], lon, lat, l0)
        _, v8 = _meridian(ani8.maps["IC"], lon, lat, l0)
        ax1.semilogy(b, vi, "--", color=col)
        ax1.semilogy(b, va, "-", color=col, label=f"l = {l0:g}")
        ax2.plot(b, va / vi, "-", color=col, label=f"l = {l0:g}, l_max = 4")
        ax2.plot(b, v8 / vi, ":", color=col, label=f"l = {l0:g}, l_max = 8")
    ax1.set_xlabel("b [deg]")
    ax1.set_ylabel("IC intensity [ph cm$^{-2}$ s$^{-1}$ sr$^{-1}$]")
    ax1.set_title("solid: anisotropic, dashed: isotropic (|l - l0| < 4 deg)")
    ax1.legend(fontsize=8)
    ax2.axhline(1.0, color="k", lw=0.5)
    ax2.set_xlabel("b [deg]")
    ax2.set_ylabel("anisotropic / isotropic")
    ax2.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")

    def at(l0, b0):
        i = int(lonlat_to_healpix(l0 * u.deg, b0 * u.deg, NSIDE, order="ring"))
        return ratio[i]

    hi = np.abs(lat) > 30
    npix = lon.size
    for name, sel in (
        ("|b| > 30", hi),
        ("|b| < 5", np.abs(lat) < 5),
        ("all sky", np.ones(npix, bool)),
    ):
        ric = ani.maps["IC"][sel].sum() / iso.maps["IC"][sel].sum()
        rtot = ani.maps["total"][sel].sum() / iso.maps["total"][sel].sum()
        frac = iso.maps["IC"][sel].sum() / iso.maps["total"][sel].sum()
        print(
            f"{name}: IC aniso/iso {ric:.3f}; total aniso/iso {rtot:.3f}; IC/total (iso) {frac:.3f}"
        )
    for l0, b0 in (
        (0, 0),
        (0, 10),
        (0, 30),
        (0, 60),
        (0, 89),
        (90, 30),
        (180, 0),
        (180, 30),
        (180, 60),
    ):
        print(f"ratio at l = {l0}, b = {b0}: {at(l0, b0):.3f}")
    diff = np.max(np.abs(ani8.maps["IC"] / ani.maps["IC"] - 1))
    print(f"l_max 8 vs 4: max |difference| of the IC ratio {diff:.2e}")


if __name__ == "__main__":
    main()
