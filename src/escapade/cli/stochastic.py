"""``escapade stochastic SOLUTION -o OUT``: the stochastic nearby sources of a solved model.

Reads a solution, sets ``[stochastic]`` keys from ``--set key=value`` (``enabled`` is
implied), runs the realisations locally, on a local dask cluster (``--workers N``) or on a
scheduler (``--scheduler tcp://host:8786``), and writes the solution with the stochastic
variables (docs/stochastic.md).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from .common import UserError
from .verbosity import add_verbosity_arguments

STOCHASTIC_VARIABLE_PREFIX = "stochastic_"
TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
LARGE_TRIM = 2**30
"""The realisations make many short-lived arrays of ~1 MB; with dask's default trim threshold
(64 KiB) glibc maps and unmaps each one, 2-3x slower on the local cluster's workers."""


def _updates(pairs: list[str]) -> dict:
    from ..scan import parse_values

    out = {"stochastic.enabled": True}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError(f"--set {pair!r}: give KEY=VALUE, e.g. --set n_realisations=5000")
        values = parse_values(text)
        if len(values) != 1:
            raise UserError(f"--set {pair!r}: give one value")
        out[key if key.startswith("stochastic.") else f"stochastic.{key}"] = values[0]
    return out


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int | None):
    """None (local, in this process), a LocalCluster of ``workers``, or the scheduler's client."""
    if scheduler is None and workers is None:
        yield None
        return
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=30)
        except (OSError, TimeoutError, ValueError) as exc:
            raise UserError(f"--scheduler {scheduler!r}: cannot connect ({exc})") from None
        with client:
            yield client
        return
    with (
        dask.config.set({TRIM: LARGE_TRIM}),
        LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=":0") as lc,
        Client(lc) as client,
    ):
        yield client


def cmd_stochastic(args) -> int:
    from ..config import dump_config, with_updates
    from ..observables.stochastic import read_catalogue, with_stochastic
    from ..solution import Solution

    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers {args.workers}: give a whole number >= 1")
    if args.workers is not None and args.scheduler is not None:
        raise UserError("--workers applies to the local cluster only; drop it with --scheduler")
    out = Path(args.output)
    sol = Solution.open(args.solution)
    cfg = with_updates(sol.config, _updates(args.set or []))
    st = cfg.stochastic
    catalogue = read_catalogue(st.catalogue) if st.catalogue is not None else None
    ds = sol.dataset
    old = [v for v in ds.data_vars if str(v).startswith(STOCHASTIC_VARIABLE_PREFIX)]
    ds = ds.drop_vars(old).drop_dims([d for d in ("realisation", "quantile") if d in ds.dims])
    ds.attrs["config_toml"] = dump_config(cfg)
    with _client(args.scheduler, args.workers) as client:
        result = with_stochastic(Solution(ds, cfg), client=client, catalogue=catalogue)
    result.write(out)
    amp = result.dataset["stochastic_dipole_amplitude_quantiles"]
    e = result.dataset["ekin_gev_per_n"].values
    print(f"wrote {out} ({st.n_realisations} realisations, seed {st.seed})")
    print("  E [GeV/n]   dipole median   68 % band")
    for k in range(0, len(e), max(1, len(e) // 6)):
        q = amp.values[:, k]
        print(f"  {e[k]:9.3g}   {q[2]:13.3e}   {q[1]:.2e} - {q[3]:.2e}")
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "stochastic",
        help="add stochastic nearby sources (dipole and flux bands) to a solution",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("solution", help="a solution netCDF file (escapade run)")
    p.add_argument("-o", "--output", required=True, help="output netCDF file")
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="a [stochastic] key, e.g. --set n_realisations=5000 --set seed=7 (repeatable)",
    )
    p.add_argument("--scheduler", default=None, help="dask scheduler address (tcp://host:8786)")
    p.add_argument("--workers", type=int, default=None, help="local dask worker processes")
    add_verbosity_arguments(p)
    p.set_defaults(func=cmd_stochastic)
