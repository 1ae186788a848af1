"""``escapade reproduce``: the letter's figures and conclusions from one command."""

from __future__ import annotations

from pathlib import Path

from .verbosity import add_verbosity_arguments


def cmd_reproduce(args) -> int:
    from ..reproduce import reproduce

    out = Path(args.out)
    summary = reproduce(out, fast=args.fast, modern=not args.no_modern, client=args.scheduler)
    print(
        f"wrote {out / 'report.md'}, {out / 'summary.json'} and {out / 'figures'}/ "
        f"({summary['wall_seconds']:.0f} s)"
    )
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "reproduce", help="redo the analysis of Evoli et al. 2012 on real data (figures + report)"
    )
    p.add_argument("--out", default="results", help="output folder (default results/)")
    p.add_argument("--fast", action="store_true", help="coarse grid, Z <= 8: a quick look")
    p.add_argument("--no-modern", action="store_true", help="skip the AMS-02-era section")
    p.add_argument("--scheduler", default=None, help="dask scheduler address (default: local)")
    add_verbosity_arguments(p)
    p.set_defaults(func=cmd_reproduce)
