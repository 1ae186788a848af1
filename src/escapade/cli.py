"""Command-line interface: a thin layer over the public API.

    escapade run CONFIG.toml -o out.nc [--full]
    escapade info out.nc
    escapade plot out.nc --ratio B/C --data AMS-02 [-o fig.png]

Every user error (bad config, unreadable file, invalid value) is reported as one
line on stderr with exit status 2; no output file is left behind.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from ._version import __version__
from .cli_logging import add_verbosity_arguments, logging_to_stderr, progress_bar

EXIT_USAGE = 2


class UserError(Exception):
    """An error caused by the user's input: printed as one line, exit status 2."""


def _user_errors():
    from .config import ConfigError
    from .io import SolutionFileError
    from .measurements import DataError
    from .nuclear.crosssections import CrossSectionError
    from .observables.local import LocalObservableError
    from .resources import ResourceLimitError
    from .species import SpeciesError

    return (
        UserError,
        ConfigError,
        SolutionFileError,
        SpeciesError,
        CrossSectionError,
        ResourceLimitError,
        DataError,
        LocalObservableError,
    )


def cmd_run(args) -> int:
    from .config import load_config
    from .io import write_solution
    from .model import Model

    cfg = load_config(args.config)
    out = Path(args.output)
    if out.exists() and out.is_dir():
        raise UserError(f"output {str(out)!r} is a directory; give a file name such as out.nc")
    model = Model.from_config(cfg)
    total = len(model.species) * model.grid.n_ekin
    ctx, advance = progress_bar(total, "propagating")
    with ctx:
        ds = model.solve(full=args.full, progress=advance)
    write_solution(ds, out)
    print(
        f"wrote {out} ({len(model.species)} species, {model.grid.nr}x{model.grid.nz}x"
        f"{model.grid.n_ekin} grid, {ds.attrs['run_seconds']:.2f} s)"
    )
    return 0


def summary(ds) -> str:
    """A readable multi-line summary of a solution."""
    import tomllib

    from .numerics.interpolation import interp_log_x, interp_positive_log

    cfg = tomllib.loads(ds.attrs["config_toml"])
    d = cfg["diffusion"]
    lines = [
        f"escapade solution (written by escapade {ds.attrs['escapade_version']})",
        f"  grid: nr={ds.sizes['r_kpc']} x nz={ds.sizes['z_kpc']}"
        f" x n_ekin={ds.sizes['ekin_gev_per_n']}"
        f"  R_max={cfg['galaxy']['r_max_kpc']} kpc, H={cfg['galaxy']['halo_height_kpc']} kpc,"
        f" E = {float(ds.ekin_gev_per_n[0]):.3g}-{float(ds.ekin_gev_per_n[-1]):.3g} GeV/n",
        f"  species: {', '.join(str(s) for s in ds.species.values)}",
        f"  diffusion: {d['model']}, D0={d['d0_cm2_s']:.3g} cm^2/s"
        f" at {d['reference_rigidity_gv']} GV,"
        f" delta={d['delta']}, eta={d['eta']}, tau={d.get('tau', 0)}",
        f"  full density stored: {'yes' if 'density' in ds else 'no'}",
        f"  run time: {float(ds.attrs['run_seconds']):.2f} s",
    ]
    sp = "1H" if "1H" in ds.species.values else str(ds.species.values[0])
    e = ds.ekin_gev_per_n.values
    lines.append(f"  at the Sun, {sp}:    E [GeV/n]   D [cm^2/s]   anisotropy (radial)")
    for target in (1e2, 1e3, 1e4):
        if e[0] <= target <= e[-1]:
            dsun = interp_log_x(
                target, e, ds.diffusion_coefficient_sun_cm2_s.sel(species=sp).values
            )
            an = interp_positive_log(target, e, ds.anisotropy.sel(species=sp).values, empty=0.0)
            lines.append(f"                      {target:9.3g}   {dsun:10.3e}   {an:10.3e}")
    return "\n".join(lines)


def cmd_info(args) -> int:
    from .io import open_solution

    print(summary(open_solution(args.solution)))
    return 0


def cmd_plot(args) -> int:
    from .cli_gamma import cmd_plot_gamma, wants_gamma_plot

    if wants_gamma_plot(args):  # --emissivity / --longitude-profile (cli_gamma.py)
        return cmd_plot_gamma(args)
    if getattr(args, "leptons", False):
        return _plot_leptons(args)
    from .io import open_solution
    from .measurements import load_measurement
    from .plots import local_observable, save

    sols = [open_solution(p) for p in args.solutions]
    name = args.ratio or args.flux
    if name is None:
        raise UserError("say what to plot: --ratio B/C or --flux C (see 'escapade plot -h')")
    data = [load_measurement(d if ":" in d else f"{name}:{d}") for d in args.data]
    fig = local_observable(sols, name, data, phi_gv=args.phi, x=args.x)
    out = args.output or f"{name.replace('/', '_over_')}.png"
    save(fig, out)
    print(f"wrote {out}")
    return 0


def _plot_leptons(args) -> int:
    from .io import open_solution
    from .plots import save
    from .plots_leptons import lepton_model_data_ratios, lepton_spectra_figure

    sols = [open_solution(p) for p in args.solutions]
    try:
        fig = lepton_spectra_figure(sols, phi_gv=args.phi)
        for path, ds in zip(args.solutions, sols, strict=True):
            for name, vals in lepton_model_data_ratios(ds, args.phi).items():
                shown = ", ".join(f"{r:.2f} at {x:.3g} GeV" for x, r in vals.items())
                print(f"{path}: {name} model/data {shown}")
    except ValueError as exc:
        raise UserError(str(exc)) from None
    out = args.output or "leptons.png"
    save(fig, out)
    print(f"wrote {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="escapade", description="Galactic cosmic-ray propagation")
    p.add_argument("--version", action="version", version=f"escapade {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="solve a configuration and write a netCDF file")
    r.add_argument("config", help="TOML configuration file")
    r.add_argument("-o", "--output", default="out.nc", help="output netCDF file (default out.nc)")
    r.add_argument(
        "--full", action="store_true", help="also store the density on the whole (R, z) grid"
    )
    add_verbosity_arguments(r)
    r.set_defaults(func=cmd_run)
    i = sub.add_parser("info", help="print a summary of a solution file")
    i.add_argument("solution", help="netCDF file written by 'escapade run'")
    i.set_defaults(func=cmd_info)
    _add_plot_parser(sub)
    from .cli_scan import register as _register_scan

    _register_scan(sub)
    from .cli_gamma import register as _register_gamma

    _register_gamma(sub)
    from .cli_fit import register as _register_fit

    _register_fit(sub)
    from .cli_reproduce import register as _register_reproduce

    _register_reproduce(sub)
    return p


def _add_plot_parser(sub) -> None:
    pl = sub.add_parser("plot", help="plot spectra and ratios of solutions with data")
    pl.add_argument("solutions", nargs="+", help="netCDF files written by 'escapade run'")
    what = pl.add_mutually_exclusive_group()
    what.add_argument("--ratio", help="a ratio, e.g. B/C, Be/B, 10Be/9Be, C/O, pbar/p")
    what.add_argument("--flux", help="a flux, e.g. C, H, He, 10Be")
    what.add_argument(
        "--leptons",
        action="store_true",
        help="e- and e+ spectra by origin and the positron fraction vs AMS-02",
    )
    pl.add_argument(
        "--data",
        action="append",
        default=[],
        help="experiment (AMS-02, HEAO-3, ...) or full name 'B/C:AMS-02'; repeatable",
    )
    pl.add_argument("--phi", type=float, default=0.6, help="force-field potential in GV (0.6)")
    pl.add_argument(
        "--x",
        choices=["ekin", "rigidity", "ekin_total", "etot"],
        default=None,
        help="x axis (default: that of the first data set)",
    )
    pl.add_argument("-o", "--output", help="figure file (.png, .pdf, .svg)")
    pl.set_defaults(func=cmd_plot)


def _raise_on_sigterm(signum, frame):  # pragma: no cover - exercised by a subprocess test
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    try:
        with logging_to_stderr(getattr(args, "verbosity", 0)):
            return args.func(args)
    except _user_errors() as exc:
        print(f"escapade: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("escapade: interrupted; no output written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
