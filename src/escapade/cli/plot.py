"""``escapade plot``: spectra and ratios of solutions with data (gamma-ray plots: gamma.py)."""

from __future__ import annotations

from .common import UserError


def cmd_plot(args) -> int:
    from .gamma import cmd_plot_gamma, wants_gamma_plot

    if wants_gamma_plot(args):  # --emissivity / --longitude-profile (cli_gamma.py)
        return cmd_plot_gamma(args)
    if getattr(args, "leptons", False):
        return _plot_leptons(args)
    from ..io import open_solution
    from ..measurements import load_measurement
    from ..plots import local_observable, save

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
    from ..io import open_solution
    from ..plots import save
    from ..plots.leptons import lepton_model_data_ratios, lepton_spectra_figure

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


def register(sub) -> None:
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
