"""``escapade gamma --fit``: the template fit of the solution against the Fermi-LAT counts.

Options (checked before anything is computed or written): ``--fit``, ``--fit-region``
(absb5 | absb8), ``--fit-point-sources`` / ``--no-fit-point-sources``, ``--fit-systematics``
('fit' or a fraction F >= 0). The fit itself is :func:`escapade.sky.solution_fit.fit_solution`;
its result goes to ``template_fit_{EMIN}-{EMAX}GeV.json`` in the output folder.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from .common import UserError

FIT_OPTIONS = ("fit_region", "fit_point_sources", "fit_systematics")


def add_fit_arguments(parser) -> None:
    g = parser.add_argument_group("template fit of the Fermi-LAT counts map (2-20 GeV)")
    g.add_argument(
        "--fit",
        action="store_true",
        help="after the maps, fit free normalisations of the pi0 + bremsstrahlung of each gas "
        "phase, IC, the 4FGL point sources and the isotropic background to the counts map "
        "(likelihood with a model-systematic fraction, shipped mask); writes "
        "template_fit_<band>.json. Only the 2-20 GeV band has data",
    )
    g.add_argument(
        "--fit-region", default=None, help="fitted pixels: absb5 (|b| < 5 deg, default), absb8"
    )
    g.add_argument(
        "--fit-point-sources",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="include the 4FGL-DR2 point-source map as a template (default: yes)",
    )
    g.add_argument(
        "--fit-systematics",
        default=None,
        help="model-systematic fraction f: 'fit' (maximum likelihood, default) or a fixed "
        "F >= 0 (0: Poisson likelihood of the pixels)",
    )


def _systematics(text: str):
    if text == "fit":
        return "fit"
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0.0 <= value < 10.0):
        raise UserError(
            f"--fit-systematics {text!r}: allowed 'fit' or a fraction F with 0 <= F < 10"
        )
    return value


def fit_settings(args, bands):
    """The :class:`escapade.sky.solution_fit.FitSettings` of the command line, or None
    without ``--fit``."""
    from ..sky.likelihood import REGIONS
    from ..sky.solution_fit import FitSettings, check_fit_band

    given = [k for k in FIT_OPTIONS if getattr(args, k, None) is not None]
    if not args.fit:
        if given:
            flag = "--" + given[0].replace("_", "-")
            raise UserError(f"{flag} needs --fit (the template fit of the counts map)")
        return None
    region = args.fit_region or "absb5"
    if region not in REGIONS:
        raise UserError(f"--fit-region {region!r}: allowed {', '.join(REGIONS)}")
    for band in bands:
        try:
            check_fit_band(band)
        except ValueError as exc:
            raise UserError(
                f"--fit with --bands {band[0]:g}:{band[1]:g}: {exc}; make the maps of other "
                "bands without --fit"
            ) from None
    return FitSettings(
        region=region,
        point_sources=True if args.fit_point_sources is None else bool(args.fit_point_sources),
        systematic_fraction=_systematics(args.fit_systematics or "fit"),
    )


def run_fit(sol, band, nside, settings, outdir: Path, args) -> tuple[Path, list[str]]:
    """Fit one band, write its JSON; (the path, lines of the table to print)."""
    from ..sky.solution_fit import fit_solution

    res = fit_solution(
        sol,
        band,
        nside,
        settings,
        model=args.model,
        ic_anisotropic=args.ic_anisotropic,
        ic_lmax=args.ic_lmax,
    )
    path = outdir / f"template_fit_{band[0]:g}-{band[1]:g}GeV.json"
    res.to_json(path)
    head = (
        f"  template fit {band[0]:g}-{band[1]:g} GeV ({res.gas_model} gas, region "
        f"{settings.region}, {res.fit.n_pixels} pixels): {path.name}"
    )
    return path, [head] + res.table()
