"""The ``escapade fit`` subcommand (a thin layer over :func:`escapade.fit.fit`).

    escapade fit CONFIG.toml --data B/C:AMS-02 [--data ...] \\
        --free diffusion.d0_cm2_s,modulation.phi_gv [--bound diffusion.delta=0.2:0.8] \\
        [--fix KEY=VALUE] [--start KEY=VALUE] [--rmin 5] [--rmax R] [--syst quadrature] \\
        [--minos] [--method linearised|migrad] -o fit/

writes ``fit/best_fit.toml`` (rerun it with ``escapade run``), ``fit/fit.json`` and
``fit/fit.png``. Exit status: 0 when the fit converged, 1 when it did not (the files are
written and say so), 2 for bad input (nothing is started).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .common import UserError, output_folder, parsed
from .verbosity import add_verbosity_arguments

if TYPE_CHECKING:
    from ..fit.spec import FitSpec

EXIT_NOT_CONVERGED = 1


def _key_value(item: str, option: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key or not value:
        raise ValueError(f"{option} {item!r}: expected KEY=VALUE")
    return key, value


def _bound(item: str) -> tuple[str, tuple[float | None, float | None]]:
    key, spec = _key_value(item, "--bound")
    lo, sep, hi = spec.rpartition(":")
    if not sep:
        raise ValueError(f"--bound {item!r}: expected KEY=LOW:HIGH (either side may be empty)")
    try:
        return key, (float(lo) if lo.strip() else None, float(hi) if hi.strip() else None)
    except ValueError:
        raise ValueError(f"--bound {item!r}: LOW and HIGH must be numbers") from None


def _prior(item: str) -> tuple[str, tuple[float, float]]:
    key, spec = _key_value(item, "--prior")
    mean, sep, sigma = spec.partition("+-")
    if not sep:
        raise ValueError(
            f"--prior {item!r}: expected KEY=MEAN+-SIGMA (e.g. modulation.phi_gv=0.6+-0.1)"
        )
    try:
        return key, (float(mean), float(sigma))
    except ValueError:
        raise ValueError(f"--prior {item!r}: MEAN and SIGMA must be numbers") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``escapade fit`` (also accepted by ``escapade scan --fit``)."""
    p.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="NAME",
        help="a data set, OBSERVABLE:EXPERIMENT (B/C:AMS-02, C:HEAO-3) or a CSV file; repeat "
        "for more",
    )
    p.add_argument(
        "--free",
        action="append",
        default=[],
        metavar="KEYS",
        help="comma-separated parameters to fit: config keys (diffusion.d0_cm2_s), "
        "modulation.phi_gv, modulation.phi_gv[DATA], species.abundances.ISOTOPE|ELEMENT, "
        "source.index_overrides.ISOTOPE, source.break_indices.I ...",
    )
    p.add_argument(
        "--bound",
        action="append",
        default=[],
        metavar="KEY=LOW:HIGH",
        help="limits of a free parameter (either side may be empty); repeatable",
    )
    p.add_argument(
        "--prior",
        action="append",
        default=[],
        metavar="KEY=MEAN+-SIGMA",
        help="Gaussian prior on a free parameter (adds ((value - MEAN) / SIGMA)^2 to the chi2, "
        "one more measurement in ndof), e.g. modulation.phi_gv=0.6+-0.1; repeatable",
    )
    add_selection_arguments(p)
    p.add_argument("--minos", action="store_true", help="also run MINOS (asymmetric errors)")
    p.add_argument(
        "--method",
        choices=["linearised", "migrad"],
        default="linearised",
        help="linearised (default: MIGRAD on the model linearised in the solve parameters, "
        "re-linearised at every new minimum; few solves) or migrad (MIGRAD on the exact model)",
    )
    p.add_argument("--strategy", type=int, choices=[0, 1, 2], default=1, help="MINUIT strategy")
    p.add_argument(
        "--tolerance",
        type=float,
        default=0.1,
        help="linearised method: stop when the step is below this many errors (default 0.1)",
    )
    p.add_argument("-o", "--output", default="fit", help="output folder (default fit/)")


def options(args) -> tuple[FitSpec, str]:
    """The :class:`~escapade.fit.spec.FitSpec` and the output folder of parsed options.

    Raises ValueError (a one-line message naming the option) for bad values.
    """
    from pydantic import ValidationError

    from ..fit.parameters import parse_value
    from ..fit.spec import FitSpec

    free = [k.strip() for item in args.free for k in item.split(",") if k.strip()]
    bounds = dict(_bound(b) for b in args.bound)
    priors = dict(_prior(b) for b in args.prior)
    fix = {k: parse_value(v) for k, v in (_key_value(f, "--fix") for f in args.fix)}
    start = {k: parse_value(v) for k, v in (_key_value(f, "--start") for f in args.start)}
    try:
        same = {k: getattr(args, k) for k in ("syst", "minos", "method", "strategy", "tolerance")}
        chosen = dict(free=free, bounds=bounds, priors=priors, fix=fix, start=start)
        ranges = dict(rmin_gv=args.rmin, rmax_gv=args.rmax, phi_gv=args.phi)
        spec = FitSpec(data=list(args.data), **chosen, **ranges, **same)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise ValueError(f"{where}: {err['msg']}") from None
    return spec, args.output


class _RaisingParser(argparse.ArgumentParser):
    def error(self, message):
        from ..fit.fit import FitError

        raise FitError(f"fit options: {message}")


def options_from_words(words: list[str]) -> tuple[FitSpec, str]:
    """:func:`options` from the words of a command line (``["--data", "B/C:AMS-02", ...]``).

    Raises :class:`escapade.fit.FitError` for bad words.
    """
    from ..fit.fit import FitError

    p = _RaisingParser(prog="escapade fit", add_help=False)
    add_arguments(p)
    try:
        return options(p.parse_args(list(words)))
    except ValueError as exc:
        if isinstance(exc, FitError):
            raise
        raise FitError(str(exc)) from None


def cmd_fit(args) -> int:
    from ..config import load_config
    from ..fit.fit import FitError, fit
    from ..plots import fit_figure

    spec, output = parsed(options, args)
    out = output_folder(output, "fit/")
    cfg = load_config(args.config)
    try:
        res = fit(cfg, **spec.kwargs())  # one log line per solve (escapade.cli_logging)
    except FitError as exc:
        raise UserError(str(exc)) from None
    paths = res.write(out, figure=fit_figure(res))
    print(res.summary())
    print(f"wrote {paths['config']}, {paths['json']}, {paths['figure']}")
    if not res.valid:
        print(f"escapade: the fit did not converge: {res.message}", file=sys.stderr)
        return EXIT_NOT_CONVERGED
    return 0


def add_selection_arguments(p: argparse.ArgumentParser) -> None:
    """What ``escapade fit`` and ``escapade infer`` share: keys set first, start values, the
    rigidity range of the data, the systematics and phi."""
    p.add_argument(
        "--fix",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a key for this fit (any config key, list/dict item, modulation.phi_gv, "
        "norm[DATA]); values are TOML (0.8, [300.0], 'ferriere'); repeatable",
    )
    p.add_argument(
        "--start",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="start value of a free parameter; repeatable",
    )
    p.add_argument(
        "--rmin",
        type=float,
        default=5.0,
        metavar="GV",
        help="exclude data below this rigidity (default 5 GV; E/n data are converted with the "
        "main isotope of the observable)",
    )
    p.add_argument(
        "--rmax", type=float, default=None, metavar="GV", help="exclude data above this rigidity"
    )
    p.add_argument(
        "--syst",
        choices=["quadrature", "profile", "fit"],
        default="quadrature",
        help="systematic errors: added to the statistical ones in quadrature (default), or one "
        "normalisation per data set, profiled or fitted",
    )
    p.add_argument(
        "--phi",
        type=float,
        default=0.6,
        metavar="GV",
        help="force-field potential when modulation.phi_gv is not free (default 0.6; the start "
        "value when it is)",
    )


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``fit`` subcommand to the CLI's subparsers."""
    s = subparsers.add_parser(
        "fit",
        help="fit config parameters (D0, delta, phi, abundances...) to measured data",
        description=(
            "Fit the --free parameters of CONFIG to the --data sets with iminuit (MIGRAD, "
            "HESSE; MINOS with --minos). Writes OUTPUT/best_fit.toml (rerun it with "
            "'escapade run'), OUTPUT/fit.json and OUTPUT/fit.png. Exit status 0: converged; "
            "1: not converged (files written); 2: bad input."
        ),
    )
    s.add_argument("config", help="TOML configuration file (the start of the fit)")
    add_arguments(s)
    add_verbosity_arguments(s)
    s.set_defaults(func=cmd_fit)
    return s
