"""The ``escapade infer`` subcommand (a thin layer over :func:`escapade.inference.sampler.infer`).

    escapade infer CONFIG.toml --data B/C:HEAO-3 [--data ...] \\
        --free diffusion.d0_cm2_s[:LO:HI],modulation.phi_gv:0:2 \\
        [--prior KEY=uniform:LO:HI|loguniform:LO:HI|gauss:MEAN:SIGMA|MEAN+-SIGMA] \\
        [--fix KEY=VALUE] [--start KEY=VALUE] [--rmin 5] [--rmax R] [--syst quadrature] \\
        [--walkers 32] [--steps 1000] [--seed 0] [--init fit|config] [--move stretch|de] \\
        [--workers N | --scheduler ADDRESS] -o post/

writes ``post/chain.nc`` (after every step; the same command again continues it),
``post/summary.json``, ``post/best_fit.toml``, ``post/corner.png`` and one
``post/predictive_*.png`` per data set. Exit status: 0, or 2 for bad input (nothing is
written).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .common import UserError, output_folder, parsed
from .fit import _key_value, add_selection_arguments
from .verbosity import add_verbosity_arguments

if TYPE_CHECKING:
    from ..inference.spec import InferSpec


def _free(item: str) -> tuple[str, tuple[float, float] | None]:
    """``KEY`` or ``KEY:LO:HI`` (the key may hold a bracket with colons: phi[B/C:HEAO-3])."""
    cut = item.rfind("]") + 1
    head, tail = (item[:cut], item[cut:]) if cut else item.partition(":")[::2]
    if cut:
        key, rest = head, tail
        if rest and not rest.startswith(":"):
            raise ValueError(f"--free {item!r}: expected KEY or KEY:LO:HI")
        rest = rest[1:]
    else:
        key, rest = head, tail
    key = key.strip()
    if not key:
        raise ValueError(f"--free {item!r}: expected KEY or KEY:LO:HI")
    if not rest:
        return key, None
    lo, sep, hi = rest.partition(":")
    try:
        if not sep:
            raise ValueError
        return key, (float(lo), float(hi))
    except ValueError:
        raise ValueError(
            f"--free {item!r}: expected KEY:LO:HI with LO and HI numbers (a uniform prior)"
        ) from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``escapade infer``."""
    p.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="NAME",
        help="a data set, OBSERVABLE:EXPERIMENT (B/C:HEAO-3) or a CSV file; repeat for more",
    )
    p.add_argument(
        "--free",
        action="append",
        default=[],
        metavar="KEY[:LO:HI]",
        help="comma-separated free parameters, as in 'escapade fit --free'; KEY:LO:HI gives a "
        "uniform prior on [LO, HI] (default: log-uniform over 10x either side of the start for "
        "D0-like keys, the config's limits for bounded keys)",
    )
    p.add_argument(
        "--prior",
        action="append",
        default=[],
        metavar="KEY=PRIOR",
        help="prior of a free parameter: uniform:LO:HI, loguniform:LO:HI, gauss:MEAN:SIGMA or "
        "MEAN+-SIGMA (as 'escapade fit --prior'); repeatable",
    )
    add_selection_arguments(p)
    _sampler_arguments(p)


def _sampler_arguments(p: argparse.ArgumentParser) -> None:
    """The sampler's options, the dask options and the output folder."""
    p.add_argument("--walkers", type=int, default=32, help="emcee walkers (default 32)")
    p.add_argument("--steps", type=int, default=1000, help="steps per walker (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--init",
        choices=["fit", "config"],
        default="fit",
        help="walkers start around the fit's minimum (default) or the config",
    )
    p.add_argument(
        "--move",
        choices=["stretch", "de"],
        default="stretch",
        help="emcee proposal: the stretch move (default) or differential evolution + snooker",
    )
    p.add_argument(
        "--ball",
        type=float,
        default=0.1,
        help="starting ball radius in fit errors (or fit steps); default 0.1",
    )
    p.add_argument(
        "--burn", type=int, default=None, help="steps dropped from the summary (default a quarter)"
    )
    p.add_argument(
        "--draws",
        type=int,
        default=20,
        help="posterior draws in the predictive figures (default 20)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="evaluate the walkers on a local dask cluster of N processes",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="evaluate the walkers on the dask scheduler at ADDRESS",
    )
    p.add_argument("-o", "--output", default="infer", help="output folder (default infer/)")


def options(args) -> tuple[InferSpec, str]:
    """The :class:`~escapade.inference.spec.InferSpec` and the output folder of parsed options.

    Raises ValueError (a one-line message naming the option) for bad values.
    """
    from pydantic import ValidationError

    from ..fit.parameters import parse_value
    from ..inference.spec import InferSpec

    free, bounds = [], {}
    for item in args.free:
        for word in _split_free(item):
            key, b = _free(word)
            free.append(key)
            if b is not None:
                bounds[key] = b
    priors = dict(_key_value(p, "--prior") for p in args.prior)
    fix = {k: parse_value(v) for k, v in (_key_value(f, "--fix") for f in args.fix)}
    start = {k: parse_value(v) for k, v in (_key_value(f, "--start") for f in args.start)}
    same = ("walkers", "steps", "seed", "init", "move", "ball", "burn", "draws", "syst")
    try:
        spec = InferSpec(
            data=list(args.data),
            free=free,
            bounds=bounds,
            priors=priors,
            fix=fix,
            start=start,
            rmin_gv=args.rmin,
            rmax_gv=args.rmax,
            phi_gv=args.phi,
            **{k: getattr(args, k) for k in same},
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise ValueError(f"{where}: {msg}") from None
    return spec, args.output


def _split_free(item: str) -> list[str]:
    """Comma-separated words, commas inside brackets kept."""
    out, depth, cur = [], 0, ""
    for ch in item:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [w.strip() for w in out if w.strip()]


def cmd_infer(args) -> int:
    from ..config import load_config
    from ..fit.parameters import FitError
    from ..inference import infer
    from ..plots.inference import inference_figures

    spec, output = parsed(options, args)
    out = output_folder(output, "infer/")
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers {args.workers}: give a whole number >= 1")
    if args.workers and args.scheduler:
        raise UserError("--workers and --scheduler: give one (a local cluster or a scheduler)")
    cfg = load_config(args.config)
    try:
        res = infer(
            cfg, output=out, client=args.scheduler, workers=args.workers, **spec.kwargs()
        )  # one log line per step (escapade.cli_logging)
    except FitError as exc:
        raise UserError(str(exc)) from None
    except (KeyboardInterrupt, SystemExit) as exc:  # Ctrl-C, or SIGTERM (cli.main)
        chain = out / "chain.nc"
        if not chain.is_file():
            raise
        print(
            f"escapade: interrupted; {chain} holds the steps done: the same command continues it",
            file=sys.stderr,
        )
        if isinstance(exc, SystemExit):
            raise
        return 130
    paths = res.write(out, figures=inference_figures(res))
    print(res.summary())
    print(f"wrote {out / 'chain.nc'}, " + ", ".join(str(p) for p in paths.values()))
    return 0


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``infer`` subcommand to the CLI's subparsers."""
    s = subparsers.add_parser(
        "infer",
        help="the posterior of config parameters (emcee) given measured data",
        description=(
            "Sample the posterior of the --free parameters of CONFIG given the --data sets "
            "(the likelihood of 'escapade fit', priors from --free KEY:LO:HI and --prior) "
            "with emcee. Writes OUTPUT/chain.nc after every step (the same command again "
            "continues it), OUTPUT/summary.json, OUTPUT/best_fit.toml, OUTPUT/corner.png and "
            "OUTPUT/predictive_*.png. Exit status 0, or 2 for bad input."
        ),
    )
    s.add_argument("config", help="TOML configuration file")
    add_arguments(s)
    add_verbosity_arguments(s)
    s.set_defaults(func=cmd_infer)
    return s
