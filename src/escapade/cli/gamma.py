"""The ``escapade gamma`` subcommand and the gamma-ray options of ``escapade plot``.

    escapade gamma out.nc --bands 1.104:1.442,2:20 --nside 128 -o sky/
    escapade plot out.nc [more.nc ...] --emissivity --bands 0.1:100 [-o fig.png]
    escapade plot sky/ [sky2/ ...] --longitude-profile --band 2:20 --bmax 5 --data fermi

``escapade gamma`` writes into the output folder, per band:

* ``pi0_{HI,H2,HII,total}_{EMIN}-{EMAX}GeV_nside{N}.fits``: HEALPix maps (RING, Galactic)
  of the pi0 intensity integrated over the band, ph cm^-2 s^-1 sr^-1, with an EBOUNDS HDU;
* ``pi0_emissivity_z0_{EMIN}-{EMAX}GeV.csv``: q(R) at z = 0 per H atom;
* ``pi0_profile_absb{BMAX}_{EMIN}-{EMAX}GeV.csv``: the longitude profile of each phase.

For a solution with electrons and positrons (``[leptons] enabled = true``) also
``IC_...fits``, ``bremsstrahlung_...fits``, ``pi0_...fits`` (the pi0 sum) and
``all_total_...fits`` (pi0 + IC + bremsstrahlung); the profile file is then
``gamma_profile_...csv`` with every component, and ``lepton_emissivity_z0_...csv`` holds
q_pi0, q_bremsstrahlung (per H atom) and the IC volume emissivity j_ic vs R.

With ``--fit`` (2-20 GeV, the band of the shipped Fermi-LAT counts) also
``template_fit_{EMIN}-{EMAX}GeV.json``: the template fit of :mod:`escapade.cli.gamma_fit`.

Bad input (band strings, nside, a solution without the full density) is one line on
stderr, exit status 2, nothing written.
"""

from __future__ import annotations

import argparse
import logging
import math
import time
from pathlib import Path

import numpy as np

from .common import UserError
from .gamma_fit import add_fit_arguments, fit_settings, run_fit
from .verbosity import add_verbosity_arguments, progress_bar

log = logging.getLogger(__name__)

BAND_FORM = "EMIN:EMAX[,EMIN:EMAX...] in GeV with 0 < EMIN < EMAX, e.g. 1.104:1.442,2:20"
NSIDE_MAX = 4096


def parse_bands(text: str, option: str = "--bands") -> list[tuple[float, float]]:
    """``"1.104:1.442,2:20"`` -> [(1.104, 1.442), (2.0, 20.0)]; UserError otherwise."""
    bands = []
    parts = str(text).split(",")
    for part in parts:
        lo, sep, hi = part.strip().partition(":")
        try:
            if not sep or ":" in hi:
                raise ValueError
            band = (float(lo), float(hi))
        except ValueError:
            band = None
        if band is None or not (0 < band[0] < band[1] < math.inf):
            raise UserError(
                f"{option} {text!r}: invalid band {part.strip()!r}; expected {BAND_FORM}"
            )
        if band in bands:
            raise UserError(f"{option} {text!r}: band {part.strip()!r} is given twice")
        bands.append(band)
    return bands


def parse_band(text: str, option: str = "--band") -> tuple[float, float]:
    """One band ``"2:20"``; UserError otherwise."""
    bands = parse_bands(text, option)
    if len(bands) != 1:
        raise UserError(f"{option} {text!r}: give one band EMIN:EMAX in GeV, e.g. 2:20")
    return bands[0]


def _check_nside(nside: int) -> int:
    if nside < 1 or nside > NSIDE_MAX or nside & (nside - 1):
        raise UserError(
            f"--nside {nside}: expected a power of two from 1 to {NSIDE_MAX} "
            "(HEALPix resolution), e.g. 128"
        )
    return nside


def _check_profile_args(args) -> None:
    if not 0 < args.bmax <= 90:
        raise UserError(f"--bmax {args.bmax}: expected a latitude in degrees, 0 < BMAX <= 90")
    if not 0 < args.lbin <= 360 or not math.isclose(round(360 / args.lbin) * args.lbin, 360):
        raise UserError(f"--lbin {args.lbin}: expected a bin width in degrees that divides 360")


def _band_tag(band) -> str:
    return f"{band[0]:g}-{band[1]:g}GeV"


def _open_full(path: str):
    from ..solution import Solution, SolutionCapabilityError

    sol = Solution.open(path)
    try:
        sol.require("density", "a sky map")
    except SolutionCapabilityError:
        raise UserError(
            f"{path} has no full density (the CR density on the whole (R, z) or (x, y, z) grid, "
            f"needed for sky maps): rerun it with 'escapade run CONFIG -o {path} --full'"
        ) from None
    return sol


def _header_meta(sol, path) -> dict:
    from .._version import __version__

    d = sol.config.diffusion
    return {
        "SOLUTION": Path(path).name,
        "ESCVER": __version__,
        "DIFFMOD": d.model,
        "TAU": float(d.tau) if d.model == "source_correlated" else 0.0,
        "D0": float(d.d0_cm2_s),
    }


def _write_csv(path: Path, header: list[str], columns: list[str], data, fmt) -> Path:
    from ..io import atomic_path

    with atomic_path(path, suffix=".csv") as tmp:
        np.savetxt(
            tmp,
            data,
            delimiter=",",
            fmt=fmt,
            header="\n".join(header + [",".join(columns)]),
            comments="# ",
        )
    return path


def _omitted(names: str) -> str:
    names = [n for n in names.split(",") if n]
    if len(names) <= 4:
        return ", ".join(names) or "none"
    return f"{len(names)} heavier isotopes ({names[-1]} ... {names[0]})"


def _emissivity_table(ds, band, model, outdir: Path, label: str) -> tuple[Path, float]:
    from ..emission.pion import emissivity_at, emissivity_vs_r
    from ..plots.gamma import PI0_NOTE
    from ..solution import dataset_of

    q = emissivity_vs_r(ds, band, model)
    r = q["r_kpc"].values
    r_sun = q.attrs["r_sun_kpc"]
    q_sun = emissivity_at(q, r_sun)
    ray = " along y = 0, x = R >= 0 (3D solution)" if "density_plane" in dataset_of(ds) else ""
    header = [
        f"escapade pi0-decay emissivity per H atom at z = 0{ray}, integrated over {band[0]:g}-"
        f"{band[1]:g} GeV ({label})",
        f"q: ph s^-1 sr^-1 (H atom)^-1 (He gas included through n_He/n_H = {q.attrs['he_to_h']:g});"
        f" q_over_q_sun: q(R) / q(R_sun = {r_sun:g} kpc) = q / {q_sun:.6e}",
        f"cross sections: {q.attrs['pi0_model']}; projectiles used: {q.attrs['species_used']};"
        f" left out: {_omitted(q.attrs['species_omitted'])}",
        PI0_NOTE,
    ]
    data = np.column_stack([r, q.values, q.values / q_sun])
    path = outdir / f"pi0_emissivity_z0_{_band_tag(band)}.csv"
    columns = ["r_kpc", "q", "q_over_q_sun"]
    return _write_csv(path, header, columns, data, ["%.6g", "%.6e", "%.6e"]), q_sun


def _lepton_emissivity_table(sol, band, outdir: Path, label: str, q_pi0_sun: float) -> Path:
    """r, bremsstrahlung per H atom, IC volume emissivity at z = 0 (leptonic solutions)."""
    from ..emission.leptonic import bremsstrahlung_emissivity_band, ic_emissivity_band
    from ..emission.pion import emissivity_vs_r

    dm = sol.dataset["density_midplane"]
    q_br = bremsstrahlung_emissivity_band(dm, band, he_to_h=sol.config.gas.he_to_h)
    j_ic = ic_emissivity_band(sol, band, density=dm)
    q_pi0 = emissivity_vs_r(sol, band)
    r = q_br["r_kpc"].values
    header = [
        f"escapade leptonic gamma-ray emissivities at z = 0, integrated over {band[0]:g}-"
        f"{band[1]:g} GeV ({label})",
        "q_pi0, q_bremsstrahlung: ph s^-1 sr^-1 (H atom)^-1 (He included); q_total_per_h = "
        "their sum; j_ic: inverse Compton volume emissivity, ph cm^-3 s^-1 sr^-1 (isotropic "
        f"Klein-Nishina on the {j_ic.attrs['isrf_model']} ISRF; not per H atom)",
        f"pi0 at the Sun: {q_pi0_sun:.6e}",
    ]
    data = np.column_stack([r, q_pi0.values, q_br.values, q_pi0.values + q_br.values, j_ic])
    path = outdir / f"lepton_emissivity_z0_{_band_tag(band)}.csv"
    columns = ["r_kpc", "q_pi0", "q_bremsstrahlung", "q_total_per_h", "j_ic"]
    return _write_csv(path, header, columns, data, ["%.6g"] + ["%.6e"] * 4)


def _profile_table(smap, b_max, l_bin, mask, outdir: Path, label: str) -> Path:
    from ..plots.gamma import ALL_NOTE, PI0_NOTE
    from ..sky.profiles import profile_of_map

    fermi = mask == "fermi"
    prof = profile_of_map(
        smap, b_max, l_bin, mask="fermi" if fermi else None, exposure="fermi" if fermi else None
    )
    comps = list(smap.maps)
    how = (
        "exposure-weighted mean over pixels outside the Fermi-LAT 3FGL point-source mask"
        if fermi
        else "mean over pixel centres"
    )
    full = "IC" in smap.maps
    header = [
        f"escapade {'gamma-ray' if full else 'pi0-decay'} longitude profile, |b| < {b_max:g} "
        f"deg, {l_bin:g}-deg bins, "
        f"{smap.band[0]:g}-{smap.band[1]:g} GeV, nside {smap.nside} ({label})",
        f"columns {', '.join(comps)}: intensity integrated over the band, ph cm^-2 s^-1 sr^-1, "
        f"{how}; l in deg (l < 0 is 360 + l); npix: pixels used",
        ALL_NOTE if full else PI0_NOTE,
    ]
    data = np.column_stack(
        [prof["l_deg"], prof["l_min"], prof["l_max"], prof["npix"]] + [prof[c] for c in comps]
    )
    tag = f"absb{b_max:g}_{_band_tag(smap.band)}"
    path = outdir / f"{'gamma' if full else 'pi0'}_profile_{tag}.csv"
    columns = ["l_deg", "l_min_deg", "l_max_deg", "npix"] + comps
    fmt = ["%.6g", "%.6g", "%.6g", "%d"] + ["%.6e"] * len(comps)
    return _write_csv(path, header, columns, data, fmt)


def cmd_gamma(args) -> int:
    from ..sky.assemble import skymap
    from ..sky.fermi import local_emissivity_casandjian2015

    bands = parse_bands(args.bands)
    nside = _check_nside(args.nside)
    if args.ic_lmax is not None and not 1 <= args.ic_lmax <= 16:
        raise UserError(f"--ic-lmax {args.ic_lmax}: allowed 1 ... 16")
    _check_profile_args(args)
    fit = fit_settings(args, bands)
    outdir = Path(args.output)
    if outdir.exists() and not outdir.is_dir():
        raise UserError(f"output {str(outdir)!r} is a file; give a folder such as sky/")
    sol = _open_full(args.solution)
    label = sol.label or Path(args.solution).name
    extra = _header_meta(sol, args.solution)
    extra["BMAXPROF"] = float(args.bmax)
    written = []
    lines = []
    ctx, advance = progress_bar(3 * len(bands), "gamma-ray maps")
    tick = advance or (lambda: None)
    with ctx:
        for k, band in enumerate(bands):
            t0 = time.perf_counter()
            log.info("band %g-%g GeV: sky maps started (nside %d)", band[0], band[1], nside)
            smap = skymap(
                sol,
                band,
                nside,
                model=args.model,
                ic_anisotropic=args.ic_anisotropic,
                ic_lmax=args.ic_lmax,
            )
            tick()
            written += smap.write_fits(outdir, extra_header=extra)
            tick()
            path, q_sun = _emissivity_table(sol, band, args.model, outdir, label)
            written.append(path)
            if "IC" in smap.maps:
                written.append(_lepton_emissivity_table(sol, band, outdir, label, q_sun))
            written.append(_profile_table(smap, args.bmax, args.lbin, args.mask, outdir, label))
            tick()
            log.info(
                "band %g-%g GeV done (%.0f s), %d of %d left",
                band[0],
                band[1],
                time.perf_counter() - t0,
                len(bands) - k - 1,
                len(bands),
            )
            ref = local_emissivity_casandjian2015(band)
            cmp = (
                f"; Casandjian 2015 local HI: {ref[0]:.3e}, ratio {q_sun / ref[0]:.2f}"
                if ref
                else ""
            )
            lines.append(
                f"  {band[0]:g}-{band[1]:g} GeV: q(R_sun, z = 0) = {q_sun:.3e} ph s^-1 sr^-1 per"
                f" H atom{cmp}; sky total {smap.sky_integral():.3e} ph cm^-2 s^-1"
            )
            if "IC" in smap.maps:
                parts = ", ".join(
                    f"{c} {smap.sky_integral(c):.3e}" for c in ("pi0", "IC", "bremsstrahlung")
                )
                lines.append(f"    components (ph cm^-2 s^-1): {parts}")
            if fit is not None:
                path, table = run_fit(sol, band, nside, fit, outdir, args)
                written.append(path)
                lines += table
    what = "pi0, IC and bremsstrahlung" if "IC" in smap.maps else "pi0 decay only"
    if smap.meta.get("ic_anisotropic"):
        what += f"; anisotropic IC, l <= {smap.meta['ic_anisotropy_lmax']}"
    print(f"wrote {len(written)} files to {outdir}/ ({label}, nside {nside}, {what})")
    print("\n".join(lines))
    return 0


# --------------------------------------------------------------------------- plot


def _skymap_for_band(path: str, band):
    from ..sky.io import SkyMapFileError, read_skymap_fits, read_skymaps

    p = Path(path)
    try:
        maps = [read_skymap_fits(p)] if p.is_file() else read_skymaps(p)
    except SkyMapFileError as exc:
        raise UserError(str(exc)) from None
    bands = sorted({m.band for m in maps})
    if band is None:
        if len(bands) != 1:
            listed = ", ".join(f"{b[0]:g}:{b[1]:g}" for b in bands)
            raise UserError(f"{path} holds several bands ({listed}); choose one with --band")
        band = bands[0]
    found = [m for m in maps if np.allclose(m.band, band, rtol=1e-6) and "total" in m.maps]
    if not found:
        listed = ", ".join(f"{b[0]:g}:{b[1]:g}" for b in bands)
        raise UserError(
            f"{path} has no total map of band {band[0]:g}:{band[1]:g} GeV (bands there: {listed})"
        )
    return max(found, key=lambda m: m.nside)


def _parse_isotropic(text: str):
    if text in ("fit", "igrb"):
        return text
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value >= 0 and math.isfinite(value)):
        raise UserError(
            f"--isotropic {text!r}: expected 'fit', 'igrb' or an intensity >= 0 in "
            "ph cm^-2 s^-1 sr^-1"
        )
    return value


def _plot_emissivity(args) -> int:
    from ..io import open_solution
    from ..plots import save
    from ..plots.gamma import emissivity_figure

    bands = parse_bands(args.bands or "0.1:100")
    data = [d.lower() for d in args.data]
    if any(d not in ("fermi", "casandjian2015") for d in data):
        raise UserError(
            f"--data {args.data[0]!r} with --emissivity: the reference is 'casandjian2015' "
            "(the Fermi-LAT local HI emissivity, drawn by default)"
        )
    sols = [open_solution(p) for p in args.solutions]
    fig = emissivity_figure(sols, bands)
    out = args.output or "emissivity_vs_R.png"
    save(fig, out)
    print(f"wrote {out}")
    return 0


def _plot_profile(args) -> int:
    from ..plots import save
    from ..plots.gamma import longitude_profile_figure, solution_label
    from ..sky.compare import fermi_comparison
    from ..sky.profiles import profile_of_map

    band = parse_band(args.band) if args.band else None
    if args.bands and band is None:
        band = parse_band(args.bands, "--bands")
    data = [d.lower() for d in args.data]
    if any(d != "fermi" for d in data):
        raise UserError(
            f"--data {args.data[0]!r} with --longitude-profile: the shipped data set is 'fermi' "
            "(Fermi-LAT 2-20 GeV maps)"
        )
    iso = _parse_isotropic(args.isotropic)
    _check_profile_args(args)
    items = []
    for path in args.solutions:
        smap = _skymap_for_band(path, band)
        label = solution_label(smap.meta) or Path(path).name
        if data:
            try:
                cmp = fermi_comparison(smap, args.bmax, args.lbin, iso, args.fit_norm)
            except ValueError as exc:
                raise UserError(str(exc)) from None
            a = cmp.attrs
            print(
                f"{label} ({path}): chi2 = {a['chi2']:.1f} for {a['n_bins']} bins, isotropic "
                f"{a['isotropic']:.3e} ph cm^-2 s^-1 sr^-1 ({a['isotropic_mode']}), pi0 x "
                f"{a['norm']:.3f}"
            )
            items.append((label, cmp))
        else:
            items.append((label, profile_of_map(smap, args.bmax, args.lbin)))
    fig = longitude_profile_figure(items, comparisons=bool(data))
    out = args.output or "longitude_profile.png"
    save(fig, out)
    print(f"wrote {out}")
    return 0


def cmd_plot_gamma(args) -> int:
    """``escapade plot --emissivity`` / ``--longitude-profile`` (called by cli.cmd_plot)."""
    if args.emissivity and args.longitude_profile:
        raise UserError("--emissivity and --longitude-profile make different figures; give one")
    if args.ratio or args.flux:
        raise UserError("--ratio/--flux cannot be combined with --emissivity/--longitude-profile")
    return _plot_emissivity(args) if args.emissivity else _plot_profile(args)


def wants_gamma_plot(args) -> bool:
    """True when ``escapade plot`` was asked for a gamma-ray figure."""
    return bool(getattr(args, "emissivity", False) or getattr(args, "longitude_profile", False))


# --------------------------------------------------------------------------- parser


def _add_plot_options(subparsers) -> None:
    pl = subparsers.choices.get("plot")
    if pl is None:
        return
    g = pl.add_argument_group("gamma rays (pi0; IC and bremsstrahlung for leptonic solutions)")
    g.add_argument(
        "--emissivity",
        action="store_true",
        help="Figure 1: emissivity per H atom vs R at z = 0 of solutions (.nc), several overlaid",
    )
    g.add_argument(
        "--longitude-profile",
        action="store_true",
        help="Figure 2: longitude profile of sky-map folders (or FITS files) written by "
        "'escapade gamma', several overlaid; with --data fermi against the Fermi-LAT 2-20 GeV "
        "maps, residuals in sigma and chi2",
    )
    g.add_argument("--bands", help="energy bands EMIN:EMAX[,...] in GeV (--emissivity: 0.1:100)")
    g.add_argument("--band", help="energy band EMIN:EMAX in GeV of the profile, e.g. 2:20")
    g.add_argument("--bmax", type=float, default=5.0, help="profile latitude cut |b| < BMAX (5)")
    g.add_argument("--lbin", type=float, default=2.0, help="profile longitude bin in deg (2)")
    g.add_argument(
        "--isotropic",
        default="fit",
        help="isotropic term added to the model: 'fit' (one constant >= 0 per model, weighted "
        "least squares; default), 'igrb' (Ackermann et al. 2015) or a value in ph cm^-2 s^-1 sr^-1",
    )
    g.add_argument(
        "--fit-norm",
        action="store_true",
        help="also fit a normalisation factor of the pi0 model (for the missing components)",
    )


def register(subparsers) -> None:
    """Add ``escapade gamma`` and the gamma-ray options of ``escapade plot``."""
    ga = subparsers.add_parser(
        "gamma",
        help="gamma-ray sky maps (HEALPix FITS), emissivities q(R) and longitude profiles",
        description="HEALPix FITS maps per band and gas phase (HI, H2, HII, total), the "
        "emissivity q(R) at z = 0 and the longitude profile per band. Needs a solution written "
        "by 'escapade run --full'. pi0 decay; for solutions with [leptons] enabled also inverse "
        "Compton and bremsstrahlung maps and the total.",
    )
    ga.add_argument("solution", help="netCDF file written by 'escapade run --full'")
    ga.add_argument("--bands", default="2:20", help=f"energy bands, {BAND_FORM} (default 2:20)")
    ga.add_argument("--nside", type=int, default=128, help="HEALPix NSIDE, a power of 2 (128)")
    ga.add_argument("-o", "--output", default="sky", help="output folder (default sky/)")
    ga.add_argument("--bmax", type=float, default=5.0, help="profile latitude cut |b| < BMAX (5)")
    ga.add_argument("--lbin", type=float, default=2.0, help="profile longitude bin in deg (2)")
    ga.add_argument(
        "--mask",
        choices=["none", "fermi"],
        default="none",
        help="profile: plain mean over pixels (none) or, as the Fermi-LAT data are made, "
        "exposure-weighted outside the 3FGL point-source mask (fermi)",
    )
    ga.add_argument(
        "--model",
        choices=["aafrag", "kamae2006"],
        default="aafrag",
        help="pi0 cross sections: AAfrag 2.02 + Kamae 2006 below (default) or Kamae 2006",
    )
    ga.add_argument(
        "--ic-anisotropic",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="IC with the ISRF's angular distribution (Moskalenko & Strong 2000); default: "
        "the solution's [leptons] ic_anisotropic",
    )
    ga.add_argument(
        "--ic-lmax",
        type=int,
        default=None,
        help="harmonic order of the anisotropic IC (1-16; default [leptons] ic_anisotropy_lmax)",
    )
    add_fit_arguments(ga)
    add_verbosity_arguments(ga)
    ga.set_defaults(func=cmd_gamma)
    _add_plot_options(subparsers)
