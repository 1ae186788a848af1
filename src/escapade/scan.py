"""Parameter scans on dask.distributed: a LocalCluster by default, any scheduler by address.

A scan is the cartesian product of a grid of config values::

    ds = escapade.scan.scan(cfg, {"diffusion.tau": [0, 0.5, 1], "diffusion.d0_cm2_s": [2e28, 3e28]})
    ds.anisotropy.sel({"diffusion.tau": 0.5, "diffusion.d0_cm2_s": 3e28, "species": "1H"})

Every point is ``with_updates(cfg, point)`` solved by :func:`escapade.solve` (or by the
``evaluate`` callable, e.g. a fit) on a dask worker. The results are stacked into one
:class:`xarray.Dataset` whose first dimensions are the scanned keys (named by the dotted key,
e.g. ``diffusion.tau``), with a ``status`` ("ok"/"failed") and an ``error`` message per point.

With an ``output`` file each finished point is checkpointed as one small netCDF file in
``<output>.points/``, named by a hash of the point's complete config, the escapade version and
the evaluator; running the same scan again loads those and computes only the missing points.
Points whose config is invalid fail on the client (never submitted); points whose evaluation
raises are reported with the error and are not checkpointed, so a rerun retries them.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import logging
import math
import sys
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ._version import __version__
from .config import Config, ConfigError, dump_config, with_updates
from .parallel import SchedulerConnectionError, dask_client

Evaluator = Callable[[Config], xr.Dataset]
"""A per-point evaluation, run on a worker: a config in, a solution-like Dataset out."""

SPATIAL_DIMS = ("r_kpc", "z_kpc")
FIELD_VARIABLES = ("density_midplane",)
"""Large per-model fields, kept only with ``keep_fields=True``."""

CHECKPOINT_SUFFIX = ".points"

log = logging.getLogger(__name__)


class ScanError(ValueError):
    """An invalid scan request (bad value spec, duplicate values, conflicting options)."""


# ---------------------------------------------------------------------------- the grid


def _parse_scalar(text: str) -> Any:
    """A TOML scalar (number, boolean, quoted string) or else the bare text as a string."""
    text = text.strip()
    if not text:
        raise ScanError("empty value")
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    if isinstance(value, list | dict):
        raise ScanError(f"{text!r} is not a single value")
    return value


def _tidy(x: float) -> float:
    """Drop linspace round-off (0.30000000000000004 -> 0.3) so that .sel() finds the value."""
    return float(f"{x:.12g}")


def parse_values(spec: str) -> list:
    """Values of one scanned key from a command-line spec.

    ``a:b:n`` is ``n`` evenly spaced values from ``a`` to ``b`` inclusive (integers when ``a``
    and ``b`` are written as integers and every value is whole, e.g. ``21:41:3``); a comma list
    ``2e28,3e28`` or ``lorimer,ferriere`` gives those values (numbers and ``true``/``false`` as
    in TOML, anything else as text); a single value gives a scan of length one.
    """
    spec = spec.strip()
    if "," in spec or ":" not in spec:
        return [_parse_scalar(item) for item in spec.split(",")]
    parts = spec.split(":")
    if len(parts) != 3:
        raise ScanError(f"{spec!r}: a range is a:b:n (start, stop, number of values)")
    a, b, n = (_parse_scalar(p) for p in parts)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b)):
        raise ScanError(f"{spec!r}: in a:b:n, a and b must be numbers")
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ScanError(f"{spec!r}: in a:b:n, a and b must be finite")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ScanError(f"{spec!r}: in a:b:n, n must be a whole number >= 1")
    values = np.linspace(a, b, n) if n > 1 else np.array([a], dtype=float)
    if isinstance(a, int) and isinstance(b, int) and np.all(values == np.round(values)):
        return [int(round(v)) for v in values]
    return [_tidy(v) for v in values]


def config_keys() -> list[str]:
    """Every dotted config key, e.g. ``diffusion.tau``."""
    return [
        f"{section}.{key}"
        for section, field in Config.model_fields.items()
        for key in field.annotation.model_fields  # type: ignore[union-attr]
    ]


def validate_key(key: str) -> None:
    """Raise :class:`ConfigError` (one line, with the valid choices) for an unknown key."""
    import difflib

    valid = config_keys()
    if key in valid:
        return
    guess = difflib.get_close_matches(key, valid, n=1)
    hint = f" Did you mean {guess[0]!r}?" if guess else ""
    section = key.split(".")[0]
    in_section = [k for k in valid if k.split(".")[0] == section]
    choices = in_section or valid
    where = f"in [{section}]" if in_section else "are"
    raise ConfigError(
        f"{key!r} is not a config key.{hint} Valid keys {where}: {', '.join(choices)}"
    )


def _check_grid(grid: Mapping[str, Sequence]) -> dict[str, list]:
    if not grid:
        raise ScanError("the scan grid is empty: give at least one key and its values")
    out: dict[str, list] = {}
    for key, values in grid.items():
        validate_key(key)
        values = [v.item() if isinstance(v, np.generic) else v for v in values]
        if not values:
            raise ScanError(f"{key}: no values to scan")
        for v in values:
            if not isinstance(v, int | float | str | bool):
                raise ScanError(f"{key}: scan values must be numbers, text or booleans, not {v!r}")
        if len(set(values)) != len(values):
            dup = sorted({str(v) for v in values if values.count(v) > 1})
            raise ScanError(f"{key}: repeated values {', '.join(dup)}; each value once")
        out[key] = values
    return out


# ---------------------------------------------------------------------- one point


def _callable_token(fn: Callable | None) -> str:
    """A stable name of the evaluator for the checkpoint key (a partial's arguments included)."""
    if fn is None:
        return "escapade.solve"
    if isinstance(fn, functools.partial):
        return (
            f"partial({_callable_token(fn.func)}, args={fn.args!r}, "
            f"kwargs={sorted(fn.keywords.items())!r})"
        )
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__qualname__)}"


def point_key(cfg: Config, evaluate: Evaluator | None = None) -> str:
    """Checkpoint name of a point: a hash of its config, the escapade version, the evaluator."""
    text = f"escapade {__version__}\n{_callable_token(evaluate)}\n{dump_config(cfg)}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def density_at_sun(ds: xr.Dataset, sun_r_kpc: float) -> xr.DataArray:
    """Density at (R_sun, z = 0): the cubic spline in R of the mid-plane density (zero slope on
    the axis), as :func:`escapade.grid.value_at_sun` computes it for the fluxes."""
    from scipy.interpolate import CubicSpline

    mid = ds.density_midplane
    values = mid.values
    spline = CubicSpline(
        ds.r_kpc.values,
        values,
        axis=-1,
        bc_type=((1, np.zeros(values.shape[:-1])), "not-a-knot"),
    )
    return xr.DataArray(
        spline(sun_r_kpc),
        dims=mid.dims[:-1],
        attrs={"units": mid.attrs.get("units", ""), "long_name": "CR density at the Sun (z = 0)"},
    )


def reduce_solution(ds: xr.Dataset, cfg: Config, keep_fields: bool = False) -> xr.Dataset:
    """The per-point record of a scan: every variable without spatial dimensions, the density
    at the Sun, the run time, and (with ``keep_fields``) the mid-plane density."""
    keep = [
        name
        for name, var in ds.data_vars.items()
        if not set(var.dims) & set(SPATIAL_DIMS) or (keep_fields and name in FIELD_VARIABLES)
    ]
    out = ds[keep]  # with the coordinates these variables use, no others
    if "density_midplane" in ds and "r_kpc" in ds.coords:
        out["density_sun"] = density_at_sun(ds, cfg.galaxy.sun_r_kpc)
    if "run_seconds" in ds.attrs:
        out["run_seconds"] = xr.DataArray(
            float(ds.attrs["run_seconds"]), attrs={"units": "s", "long_name": "solve wall time"}
        )
    out.attrs = {"config_toml": dump_config(cfg), "escapade_version": __version__}
    return out


def run_point(
    cfg: Config,
    keep_fields: bool = False,
    evaluate: Evaluator | None = None,
    client_version: str = __version__,
):
    """Evaluate one scan point (on a worker) and return its reduced record."""
    if __version__ != client_version:
        raise RuntimeError(
            f"the worker runs escapade {__version__}, the client {client_version}: install the "
            "same version on both"
        )
    if evaluate is None:
        from .model import solve

        ds = solve(cfg)
    else:
        ds = evaluate(cfg)
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"the scan's evaluate returned {type(ds).__name__}, not an xarray.Dataset")
    return reduce_solution(ds, cfg, keep_fields)


def _run_point_task(*args) -> tuple[xr.Dataset | None, str, float]:
    """The task sent to a worker: (record, "", seconds) or (None, error, seconds) -- a failed
    point is a result, not a worker error, so the worker's log stays quiet."""
    t0 = time.perf_counter()
    try:
        return run_point(*args), "", time.perf_counter() - t0
    except Exception as exc:  # noqa: BLE001 - any failure of a point is reported with the point
        return None, _one_line(exc), time.perf_counter() - t0


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ------------------------------------------------------------------- checkpoints


def checkpoint_dir(output: str | Path) -> Path:
    """The checkpoint folder of a scan written to ``output``: ``<output>.points``."""
    p = Path(output)
    return p.with_name(p.name + CHECKPOINT_SUFFIX)


def _load_checkpoint(path: Path, cfg_toml: str, keep_fields: bool) -> xr.Dataset | None:
    if not path.is_file():
        return None
    try:
        ds = xr.load_dataset(path, engine="netcdf4")
    except Exception:  # noqa: BLE001 - an unreadable checkpoint is recomputed
        return None
    if ds.attrs.get("config_toml") != cfg_toml:
        return None
    if keep_fields and not all(v in ds for v in FIELD_VARIABLES):
        return None
    if not keep_fields:  # selecting variables drops the coordinates only the fields used
        ds = ds[[name for name in ds.data_vars if name not in FIELD_VARIABLES]]
    return ds


def _write_netcdf(ds: xr.Dataset, path: Path) -> None:
    from .io import atomic_path

    ds = ds.copy()
    if "species" in ds.coords:
        ds = ds.assign_coords(species=ds["species"].values.astype(str).astype(object))
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4")


# --------------------------------------------------------------------- the cluster


@contextlib.contextmanager
def _client(client, workers: int | None):
    """:func:`escapade.parallel.dask_client`, its connection error as a :class:`ScanError`."""
    try:
        with dask_client(client, workers) as c:
            yield c
    except SchedulerConnectionError as exc:
        raise ScanError(str(exc)) from None


def _duration(seconds: float) -> str:
    """``4.2 s``, ``41 s``, ``12 min``, ``2.5 h``: a wall time for a log line."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _point_label(point: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in point.items())


def _progress(total: int, done: int, enabled: bool):
    """A rich progress bar on stderr when it is a terminal: returns (context, advance)."""
    if not (enabled and sys.stderr.isatty()):
        return contextlib.nullcontext(), lambda: None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("scan"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("scan", total=total, completed=done)
    return bar, lambda: bar.advance(task)


# ------------------------------------------------------------------------ the scan


def scan(
    cfg: Config,
    grid: Mapping[str, Sequence],
    client=None,
    output: str | Path | None = None,
    workers: int | None = None,
    progress: bool = True,
    keep_fields: bool = False,
    evaluate: Evaluator | None = None,
) -> xr.Dataset:
    """Run every point of the cartesian product of ``grid`` and stack the results.

    Parameters
    ----------
    cfg
        The base configuration; each point is ``with_updates(cfg, point)``.
    grid
        Dotted config key -> values, e.g. ``{"diffusion.tau": [0, 0.5, 1]}``; the keys become
        the leading dimensions of the result, in this order.
    client
        A ``distributed.Client``, or a scheduler address (``"tcp://host:8786"``). None: the
        address in the dask config (``DASK_SCHEDULER_ADDRESS``) if set, else a LocalCluster of
        ``workers`` processes (default: one per core) with one thread each, closed afterwards.
    output
        netCDF file written atomically at the end; points are checkpointed in
        ``<output>.points/`` and a rerun computes only the points missing there.
    workers
        Worker processes of the LocalCluster (default: one per usable core).
    progress
        A progress bar on stderr when it is a terminal. Whatever this says, the scan logs
        (:mod:`logging`, logger ``escapade.scan``) one INFO line when it starts, one per
        finished point (its time and the number of points left) and one at the end.
    keep_fields
        Also keep ``density_midplane`` of every point (large).
    evaluate
        ``evaluate(cfg) -> xarray.Dataset`` run on the worker in place of :func:`escapade.solve`
        (e.g. a fit at every point); it must be picklable. Its variables without spatial
        dimensions, scalars included, are stacked like the solution's.

    Returns
    -------
    xarray.Dataset
        Dimensions: the scanned keys, then ``species``, ``ekin_gev_per_n`` (and ``r_kpc`` with
        ``keep_fields``). Variables: the solution's variables without spatial dimensions
        (``anisotropy``, ``flux_local``, ``diffusion_coefficient_sun_cm2_s``, ...),
        ``density_sun``, ``run_seconds``, ``status`` ("ok"/"failed") and ``error`` (empty when
        ok); NaN where a point failed. Attributes: ``config_toml`` (the base), ``scan_grid``
        (JSON), ``escapade_version`` and the point counts ``points_ok``, ``points_failed``,
        ``points_computed`` (evaluated in this call), ``points_resumed`` (from checkpoints).
    """
    t0 = time.perf_counter()
    grid = _check_grid(grid)
    _check_options(client, workers, output)
    keys = list(grid)
    points = [dict(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())]
    ckdir = checkpoint_dir(output) if output is not None else None
    records, errors, todo = _plan(cfg, points, evaluate, ckdir, keep_fields)
    resumed = sum(1 for r in records if r is not None)
    log.info(
        "started: %d points (%s values of %s), %d from checkpoints, %d invalid, %d to compute",
        len(points),
        " x ".join(str(len(v)) for v in grid.values()),
        ", ".join(grid),
        resumed,
        sum(1 for e in errors if e),
        len(todo),
    )
    if todo:
        ctx, advance = _progress(len(points), len(points) - len(todo), progress)
        with _client(client, workers) as c, ctx:
            log.debug("dask client: %s", c)
            run = _Run(points, records, errors, ckdir, t0, advance)
            run.compute(c, todo, keep_fields, evaluate)
    ds = _stack(cfg, grid, records, errors)
    ds.attrs.update(
        points_computed=len(todo),
        points_resumed=resumed,
        scan_seconds=time.perf_counter() - t0,
    )
    log.info(
        "finished: %d points ok, %d failed (%s)",
        ds.attrs["points_ok"],
        ds.attrs["points_failed"],
        _duration(ds.attrs["scan_seconds"]),
    )
    if output is not None:
        _write_netcdf(ds, Path(output))
    return ds


def _check_options(client, workers: int | None, output) -> None:
    """A ScanError for a worker count that is not a whole number, workers with a given
    scheduler, or an output that is a folder."""
    if workers is not None:
        import dask

        if not isinstance(workers, int) or workers < 1:
            raise ScanError(f"workers = {workers!r}: give a whole number >= 1")
        if client is not None or dask.config.get("scheduler-address", None):
            raise ScanError("workers applies to the local cluster only, not to a given scheduler")
    if output is not None and Path(output).is_dir():
        raise ScanError(f"output {str(output)!r} is a directory; give a file name such as scan.nc")


def _plan(cfg: Config, points, evaluate, ckdir: Path | None, keep_fields: bool):
    """Per point: its checkpointed record (or None), its config error (or ""), and the
    (index, config, checkpoint key) of every point still to compute."""
    records: list[xr.Dataset | None] = [None] * len(points)
    errors = [""] * len(points)
    todo: list[tuple[int, Config, str]] = []
    for i, point in enumerate(points):
        try:
            pcfg = with_updates(cfg, point)
        except ConfigError as exc:
            errors[i] = _one_line(exc)
            continue
        key = point_key(pcfg, evaluate)
        if ckdir is not None:
            rec = _load_checkpoint(ckdir / f"{key}.nc", dump_config(pcfg), keep_fields)
            if rec is not None:
                records[i] = rec
                continue
        todo.append((i, pcfg, key))
    return records, errors, todo


class _Run:
    """The points of one scan on a dask client: submitted, collected as they finish
    (logged, checkpointed), and cancelled if the scan is interrupted."""

    def __init__(self, points, records, errors, ckdir: Path | None, t0: float, advance):
        self.points, self.records, self.errors = points, records, errors
        self.ckdir, self.t0, self.advance = ckdir, t0, advance

    def compute(self, c, todo, keep_fields: bool, evaluate) -> None:
        from distributed import as_completed

        index, pending = {}, {}
        for i, pcfg, key in todo:
            fut = c.submit(
                _run_point_task,
                pcfg,
                keep_fields,
                evaluate,
                __version__,
                key=f"escapade-point-{key}",
                pure=False,
            )
            index[fut.key] = (i, key)
            pending[fut.key] = fut
        try:
            for fut in as_completed(list(pending.values())):
                i, key = index[fut.key]
                del pending[fut.key]
                self.collect(fut, i, key, len(pending))
        finally:
            if pending:  # interrupted: what finished is checkpointed, the rest is dropped
                c.cancel(list(pending.values()))

    def collect(self, fut, i: int, key: str, left: int) -> None:
        """One finished point: its record (checkpointed) or its error, and a log line."""
        try:
            rec, self.errors[i], seconds = fut.result()
        except Exception as exc:  # noqa: BLE001 - e.g. a lost worker: only this point
            rec, self.errors[i], seconds = None, _one_line(exc), math.nan
        took = f" in {_duration(seconds)}" if math.isfinite(seconds) else ""
        log.info(
            "point %d/%d (%s) %s; %d left, %s elapsed",
            i + 1,
            len(self.points),
            _point_label(self.points[i]),
            f"done{took}" if rec is not None else f"failed{took}: {self.errors[i]}",
            left,
            _duration(time.perf_counter() - self.t0),
        )
        if rec is not None:
            self.records[i] = rec
            if self.ckdir is not None:
                _write_netcdf(rec, self.ckdir / f"{key}.nc")
        fut.release()
        self.advance()


def _stack(cfg: Config, grid: dict[str, list], records, errors) -> xr.Dataset:
    """Stack per-point records into one Dataset with the scanned keys as leading dimensions."""
    keys = list(grid)
    shape = tuple(len(v) for v in grid.values())
    coords: dict[str, Any] = {
        k: xr.Variable(k, np.asarray(v), {"long_name": f"scanned config key {k}"})
        for k, v in grid.items()
    }
    ok = [i for i, r in enumerate(records) if r is not None]
    data_vars: dict[str, Any] = {}
    if ok:
        merged = xr.concat(
            [records[i] for i in ok],
            dim="__point",
            join="outer",
            data_vars="all",
            coords="minimal",
            compat="override",
            combine_attrs="drop",
        )
        coords.update({name: merged.coords[name].variable for name in merged.coords})
        for name, var in merged.data_vars.items():
            var = var.transpose("__point", ...)
            values = var.values
            if values.dtype.kind in "biuf":
                full = np.full((len(records),) + values.shape[1:], np.nan)
            else:
                full = np.full((len(records),) + values.shape[1:], "", dtype=object)
            full[ok] = values
            data_vars[name] = (
                keys + list(var.dims[1:]),
                full.reshape(shape + values.shape[1:]),
                var.attrs,
            )
    status = np.array(["ok" if r is not None else "failed" for r in records], dtype=object)
    data_vars["status"] = (keys, status.reshape(shape), {"long_name": "ok or failed"})
    data_vars["error"] = (
        keys,
        np.array(errors, dtype=object).reshape(shape),
        {"long_name": "error message of a failed point (empty when ok)"},
    )
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs.update(
        config_toml=dump_config(cfg),
        scan_grid=json.dumps(grid),
        escapade_version=__version__,
        points_ok=len(ok),
        points_failed=len(records) - len(ok),
    )
    return ds
