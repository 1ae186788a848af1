"""The ``escapade scan`` subcommand (a thin layer over :func:`escapade.scan.scan`).

    escapade scan CONFIG.toml --set diffusion.tau=0:1:11 --set diffusion.d0_cm2_s=2e28,3e28 \\
        -o scan.nc [--scheduler tcp://host:8786] [--workers N] [--full-fields] [--fit ARGS...]

Exit status: 0 when every point succeeded, 1 when some failed (the file is written and marks
them), 2 for bad input (nothing is started), 130 when interrupted (finished points stay
checkpointed; the same command resumes).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .common import UserError
from .verbosity import add_verbosity_arguments

if TYPE_CHECKING:
    from ..fit.spec import FitSpec

EXIT_POINTS_FAILED = 1
SHOWN_FAILURES = 10


def parse_set(items: list[str]) -> dict[str, list]:
    """``["diffusion.tau=0:1:11", ...]`` -> ``{"diffusion.tau": [0.0, 0.1, ...]}``, keys checked."""
    from ..scan import ScanError, parse_values, validate_key

    grid: dict[str, list] = {}
    for item in items:
        key, sep, spec = item.partition("=")
        key = key.strip()
        if not sep or not key or not spec.strip():
            raise UserError(
                f"--set {item!r}: expected KEY=VALUES, e.g. diffusion.tau=0:1:11 or "
                "diffusion.d0_cm2_s=2e28,3e28"
            )
        validate_key(key)
        if key in grid:
            raise UserError(f"--set {key} is given twice; give all its values in one --set")
        try:
            grid[key] = parse_values(spec)
        except ScanError as exc:
            raise UserError(f"--set {key}: {exc}") from None
    return grid


def _fit_at_point(spec: FitSpec, cfg):
    from ..fit import fit

    return fit(cfg, **spec.kwargs()).to_dataset()


def fit_evaluator(fit_args: list[str]):
    """The per-point evaluator of ``--fit ARGS``: ``escapade.fit.fit`` at every scan point.

    The words after ``--fit`` (the options of ``escapade fit``; ``-o`` is ignored) are
    parsed and checked here, before anything starts (a UserError), into a
    :class:`~escapade.fit.spec.FitSpec`; the worker gets the point's config and that spec,
    and the result's ``to_dataset()`` (the best-fit solution with ``fit_value``/``fit_error``
    per ``fit_parameter``, ``chi2``, ``ndof``, ``pvalue``, ...) is stacked like a solution.
    """
    from ..fit import FitError, check_parameter_name
    from ..measurements import load_measurement
    from .fit import options_from_words

    try:
        spec, _ = options_from_words(list(fit_args))
        if not spec.data:
            raise FitError("--fit: give at least one --data set")
        if not spec.free:
            raise FitError("--fit: name the free parameters (--free KEY,KEY)")
        for name in [*spec.free, *spec.bounds]:
            check_parameter_name(name)
    except FitError as exc:
        raise UserError(f"--fit: {exc}") from None
    for name in spec.data:
        load_measurement(name)  # a DataError (one line, exit 2) for a bad name
    return functools.partial(_fit_at_point, spec)


def cmd_scan(args) -> int:
    from ..config import load_config
    from ..scan import ScanError, checkpoint_dir, scan

    grid = parse_set(args.set)
    evaluate = fit_evaluator(args.fit) if args.fit is not None else None
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers {args.workers}: give a whole number >= 1")
    if args.scheduler and args.workers is not None:
        raise UserError(
            f"--workers applies to the local cluster only; the scheduler at {args.scheduler} "
            "has its own workers"
        )
    cfg = load_config(args.config)
    out = Path(args.output)
    if out.is_dir():
        raise UserError(f"output {str(out)!r} is a directory; give a file name such as scan.nc")
    points = checkpoint_dir(out)
    try:
        ds = scan(
            cfg,
            grid,
            client=args.scheduler,
            output=out,
            workers=args.workers,
            progress=args.verbosity >= 0,
            keep_fields=args.full_fields,
            evaluate=evaluate,
        )
    except ScanError as exc:
        raise UserError(str(exc)) from None
    except KeyboardInterrupt:
        print(
            f"escapade: interrupted; {out} not written, finished points are kept in {points}/: "
            "rerun the same command to resume",
            file=sys.stderr,
        )
        return 130
    n_ok, n_failed = int(ds.attrs["points_ok"]), int(ds.attrs["points_failed"])
    print(
        f"wrote {out} ({n_ok + n_failed} points: {n_ok} ok, {n_failed} failed; "
        f"{ds.attrs['points_computed']} computed, {ds.attrs['points_resumed']} from {points}/; "
        f"{float(ds.attrs['scan_seconds']):.1f} s)"
    )
    if n_failed:
        status, errors = ds.status.values, ds.error.values
        failed = [idx for idx in np.ndindex(status.shape) if status[idx] == "failed"]
        for idx in failed[:SHOWN_FAILURES]:
            where = ", ".join(f"{k}={grid[k][j]}" for k, j in zip(grid, idx, strict=True))
            print(f"escapade: failed point {where}: {errors[idx]}", file=sys.stderr)
        if n_failed > SHOWN_FAILURES:
            print(
                f"escapade: ... and {n_failed - SHOWN_FAILURES} more (see the status and error "
                f"variables in {out})",
                file=sys.stderr,
            )
        return EXIT_POINTS_FAILED
    return 0


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``scan`` subcommand to the CLI's subparsers."""
    s = subparsers.add_parser(
        "scan",
        help="run a grid of models on dask (a local cluster or a scheduler) into one netCDF file",
        description=(
            "Solve the cartesian product of the --set values, each point as CONFIG with those "
            "keys replaced. Finished points are checkpointed in OUTPUT.points/; rerunning the "
            "same command computes only the missing ones."
        ),
    )
    s.add_argument("config", help="TOML configuration file (the base of every point)")
    s.add_argument(
        "--set",
        action="append",
        required=True,
        metavar="KEY=VALUES",
        help="a config key and its values: a:b:n (n values from a to b) or a comma list; "
        "repeat for more keys",
    )
    s.add_argument("-o", "--output", default="scan.nc", help="output netCDF file (default scan.nc)")
    s.add_argument(
        "--scheduler",
        default=os.environ.get("DASK_SCHEDULER_ADDRESS") or None,
        metavar="ADDRESS",
        help="address of a running dask scheduler, e.g. tcp://host:8786 (default: "
        "$DASK_SCHEDULER_ADDRESS, else a local cluster)",
    )
    s.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes of the local cluster (default: one per core)",
    )
    s.add_argument(
        "--full-fields",
        action="store_true",
        help="also keep the mid-plane density of every point (large)",
    )
    s.add_argument(
        "--fit",
        nargs=argparse.REMAINDER,
        default=None,
        metavar="ARGS",
        help="fit at every point instead of just solving; the rest of the line is passed to the "
        "fit (give it last)",
    )
    add_verbosity_arguments(s)
    s.set_defaults(func=cmd_scan)
    return s
