"""Issue 17's science table: the 3D anisotropic solution against the letter's 2D D_eff shortcut.

For tau = 0 and 0.85 and D_perp / D_par = 1e-1, 1e-2, 1e-3 at the reference rigidity
(``diffusion.parallel_ratio`` = 10, 100, 1000), the same parameters are solved twice:

* 2D (the letter, Evoli et al. 2012): D_eff = max[D_perp, (H / R_arm)^2 D_par], azimuthal field;
* 3D: the full tensor D_perp (delta_ij - b_i b_j) + D_par b_i b_j along the regular field.

and compared: N(R)/N_sun of protons at 10 GeV along the plane (3D averaged over azimuth), the
proton dipole amplitude at 0.1, 1 and 10 TeV and its direction (3D), B/C at 10 and 100 GeV/n.

Usage::

    python scripts/make_3d_science_table.py -o science3d.json [--nxy 61 --nz 21 --n-ekin 10]
        [--field pshirkov2011_ass] [--workers 2] [--threads 1] [--species 1H]
        [--rows 0.85:100,0:10] [--geometry 3d] [--fit-dipole]

Writes a JSON file and prints the Markdown table of docs/transport3d.md. ``--species`` (comma
list) propagates fewer species than the table's nine: the proton columns need 1H alone (no
species feeds it), B/C needs 10B, 11B, 12C, 13C and their parents. ``--rows`` keeps the
listed (tau, parallel_ratio) pairs; ``--geometry`` one engine; ``--threads`` sets
``solver.threads`` (the 3D engine's march workers; default: the cores of the process).
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from escapade.config import config_to_dict, load_config, validate_config
from escapade.model import build_model

RATIOS = (10.0, 100.0, 1000.0)
TAUS = (0.0, 0.85)
RADII = (4.0, 6.0, 8.5, 11.0, 14.0)
DIPOLE_E = (1e2, 1e3, 1e4)
BC_E = (10.0, 100.0)
SPECIES = ["16O", "15N", "14N", "13C", "12C", "11B", "10B", "1H", "4He"]


def make_config(args, geometry: str, tau: float, ratio: float):
    d = config_to_dict(load_config(args.base))
    d["transport"] = {"geometry": geometry}
    d["grid"].update(
        nr=(args.nxy + 1) // 2,
        nz=args.nz,
        nxy=args.nxy,
        n_ekin=args.n_ekin,
        ekin_min_gev_per_n=10.0,
        ekin_max_gev_per_n=1e4,
    )
    d["diffusion"].update(tau=tau, parallel_ratio=ratio)
    d["field"] = {"model": args.field}
    d["species"] = copy.deepcopy(d["species"])
    d["species"].update(z_max=None, propagate=args.species, antiprotons=False)
    d["species"]["abundances"] = args.abundances
    if args.threads is not None:
        d.setdefault("solver", {})["threads"] = args.threads
    return validate_config(d)


def _interp(e, y, at):
    return float(np.exp(np.interp(np.log(at), np.log(e), np.log(y))))


def summarise(ds, geometry: str, r_sun: float) -> dict:
    e = ds.ekin_gev_per_n.values
    flux = ds.flux_local
    out = {
        "bc": None,
        "dipole": {
            f"{x:g}": _interp(e, ds.anisotropy.sel(species="1H").values, x) for x in DIPOLE_E
        },
        "run_seconds": float(ds.attrs["run_seconds"]),
    }
    if {"10B", "11B", "12C", "13C"} <= set(ds.species.values.tolist()):
        bc = (flux.sel(species="10B") + flux.sel(species="11B")) / (
            flux.sel(species="12C") + flux.sel(species="13C")
        )
        out["bc"] = {f"{x:g}": _interp(e, bc.values, x) for x in BC_E}
    k10 = int(np.argmin(np.abs(np.log(e / 10.0))))
    if geometry == "3d":
        plane = ds.density_plane.sel(species="1H").isel(ekin_gev_per_n=k10)
        x, y = np.meshgrid(ds.x_kpc.values, ds.y_kpc.values, indexing="ij")
        r = np.hypot(x, y)
        edges = np.arange(0.0, r.max(), float(ds.x_kpc[1] - ds.x_kpc[0]))
        prof = [float(plane.values[(r >= lo) & (r < lo + edges[1])].mean()) for lo in edges]
        centres = edges + 0.5 * edges[1]
        ring = np.interp(RADII, centres, prof)
        sun = np.interp(r_sun, centres, prof)
        out["profile"] = {f"{rr:g}": float(v / sun) for rr, v in zip(RADII, ring, strict=True)}
        for key in ("l_deg", "b_deg"):
            out[f"dipole_{key}"] = {
                f"{x:g}": float(
                    np.interp(np.log(x), np.log(e), ds[f"dipole_{key}"].sel(species="1H"))
                )
                for x in DIPOLE_E
            }
        out["min_over_max"] = float(ds.attrs["solver_min_over_max"])
    else:
        mid = ds.density_midplane.sel(species="1H").isel(ekin_gev_per_n=k10).values
        rr = ds.r_kpc.values
        sun = np.interp(r_sun, rr, mid)
        out["profile"] = {f"{x:g}": float(np.interp(x, rr, mid) / sun) for x in RADII}
    return out


FIT_HALF_WIDTH_KPC = (1.5, 1.5, 0.6)
"""Half widths (x, y, z) of the box of the fitted dipole (:func:`fitted_dipole`)."""


def fitted_dipole(ds, cfg) -> dict:
    """The proton dipole 3 D_ij g_j / c at the Sun with g = grad ln N from a least-squares
    quadratic (in x, y, z, with the xy term) of ln N over the nodes within
    :data:`FIT_HALF_WIDTH_KPC` of the Sun, instead of the output's local central
    differences: the symmetric scheme's grid-scale wiggles, which D_par / D_perp amplifies in
    the local gradient along b, average out over the box (the source is axisymmetric here,
    so N has no physical structure on the box's scale)."""
    from escapade.constants import C_CM_S, KPC_CM
    from escapade.galaxy.magnetic_field import field_direction
    from escapade.model.output3d import tensor_at_sun
    from escapade.numerics.directions import directions

    r_sun = cfg.galaxy.sun_r_kpc
    dens = ds.density.sel(species="1H").values
    x, y, z = np.meshgrid(ds.x_kpc.values, ds.y_kpc.values, ds.z_kpc.values, indexing="ij")
    wx, wy, wz = FIT_HALF_WIDTH_KPC
    sel = (np.abs(x - r_sun) <= wx) & (np.abs(y) <= wy) & (np.abs(z) <= wz)
    dx, dy, dz = x[sel] - r_sun, y[sel], z[sel]
    design = np.c_[np.ones(dx.size), dx, dy, dz, dx**2, dy**2, dz**2, dx * dy]
    grad = np.array(
        [np.linalg.lstsq(design, np.log(d[sel]), rcond=None)[0][1:4] for d in dens]
    )  # 1/kpc, per energy
    b = field_direction(cfg.field, np.array([r_sun]), np.zeros(1), np.zeros(1))[0]
    d_perp = ds.diffusion_coefficient_sun_cm2_s.sel(species="1H").values
    d_par = ds.diffusion_parallel_sun_cm2_s.sel(species="1H").values
    vec = 3.0 * np.einsum("kij,kj->ki", tensor_at_sun(b, d_perp, d_par), grad) / (C_CM_S * KPC_CM)
    amp = np.linalg.norm(vec, axis=-1)
    e = ds.ekin_gev_per_n.values
    sky = directions(np.stack([-vec[..., 0], vec[..., 1], vec[..., 2]], axis=-1))
    out = {f"{x:g}": _interp(e, amp, x) for x in DIPOLE_E}
    nearest = {x: int(np.argmin(np.abs(np.log(e / x)))) for x in DIPOLE_E}  # l wraps at 360
    out |= {f"l_deg_{x:g}": float(sky["l_deg"][k]) for x, k in nearest.items()}
    return out


def one(job):
    args, geometry, tau, ratio = job
    cfg = make_config(args, geometry, tau, ratio)
    t = time.time()
    full = geometry == "3d" and args.fit_dipole
    ds = build_model(cfg).solve(full=full)
    res = summarise(ds, geometry, cfg.galaxy.sun_r_kpc)
    if full:
        res["dipole_fit"] = fitted_dipole(ds, cfg)
    res["wall_seconds"] = time.time() - t
    print(f"{geometry} tau={tau} ratio={ratio}: {res['wall_seconds']:.0f} s", flush=True)
    return (geometry, tau, ratio), res


def _num(v) -> str:
    return "-" if v is None else f"{v:.4f}"


def table(results: dict) -> str:
    rows = [
        "| tau | D_perp/D_par | engine | N(4)/N_sun | N(11)/N_sun | N(14)/N_sun | "
        "A(0.1 TeV) | A(1 TeV) | A(10 TeV) | l, b at 1 TeV | B/C 10 | B/C 100 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for tau in TAUS:
        for ratio in RATIOS:
            for geo in ("2d", "3d"):
                r = results.get((geo, tau, ratio))
                if r is None:
                    continue
                p, a, bc = r["profile"], r["dipole"], r["bc"] or {"10": None, "100": None}
                lb = (
                    f"{r['dipole_l_deg']['1000']:.0f}, {r['dipole_b_deg']['1000']:.1f}"
                    if geo == "3d"
                    else "(radial)"
                )
                rows.append(
                    f"| {tau} | {1 / ratio:.0e} | {geo} | {p['4']:.3f} | {p['11']:.3f} | "
                    f"{p['14']:.3f} | {a['100']:.2e} | {a['1000']:.2e} | {a['10000']:.2e} | "
                    f"{lb} | {_num(bc['10'])} | {_num(bc['100'])} |"
                )
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default="science3d.json")
    ap.add_argument("--base", default="configs/letter_tau0.85.toml")
    ap.add_argument("--nxy", type=int, default=61)
    ap.add_argument("--nz", type=int, default=21)
    ap.add_argument("--n-ekin", type=int, default=10)
    ap.add_argument("--field", default="pshirkov2011_ass")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--species", default=",".join(SPECIES))
    ap.add_argument("--rows", default=None, help="tau:ratio pairs, e.g. 0.85:100,0:10")
    ap.add_argument("--geometry", choices=("2d", "3d"), default=None)
    ap.add_argument(
        "--fit-dipole",
        action="store_true",
        help="also the 3D proton dipole from a quadratic fit of ln N around the Sun",
    )
    args = ap.parse_args()
    from escapade.config.abundance_presets import preset

    args.species = args.species.split(",")
    ams = preset("ams02")
    args.abundances = {n: float(ams.get(n, 0.0)) for n in args.species}
    rows = [(t, r) for t in TAUS for r in RATIOS]
    if args.rows:
        rows = [tuple(float(v) for v in pair.split(":")) for pair in args.rows.split(",")]
    geos = (args.geometry,) if args.geometry else ("2d", "3d")
    jobs = [(args, g, t, r) for t, r in rows for g in geos]
    results = {}
    with ProcessPoolExecutor(args.workers) as pool:
        for key, res in pool.map(one, jobs):
            results[key] = res  # written after every run: a long run can be read as it goes
            Path(args.output).write_text(
                json.dumps({f"{g}|{t}|{r}": v for (g, t, r), v in results.items()}, indent=1)
            )
            print(table(results), flush=True)


if __name__ == "__main__":
    main()
