"""Reading and writing solutions (netCDF4/HDF5 via the netCDF4 library), atomically.

A solution is written to a temporary file in the destination folder and renamed
over the destination only once complete, so an interrupted or failed run never
leaves a half-written file and never damages an earlier one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import xarray as xr

from ._version import __version__

FORMAT_MAJOR = 0
"""Output format generation; files of another generation are refused with a clear message."""


class SolutionFileError(ValueError):
    """A file that is not a readable escapade solution."""


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str = ""):
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success only."""
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=f".tmp{suffix}", dir=dest.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual mode
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_solution(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` as netCDF4 (HDF5) to ``path`` atomically; returns the path."""
    ds = ds.copy()
    ds.attrs["escapade_format"] = FORMAT_MAJOR
    if "species" in ds.coords:
        ds = ds.assign_coords(species=ds["species"].values.astype(str).astype(object))
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4")
    return Path(path)


def open_solution(path: str | Path) -> xr.Dataset:
    """Read a solution written by :func:`write_solution` (fully into memory)."""
    p = Path(path)
    if not p.is_file():
        raise SolutionFileError(f"solution file {str(p)!r} does not exist")
    try:
        ds = xr.load_dataset(p, engine="netcdf4")
    except Exception as exc:  # noqa: BLE001 - any reader failure means the same to the user
        raise SolutionFileError(
            f"{str(p)!r} is not a readable netCDF4/HDF5 file ({type(exc).__name__}: {exc})"
        ) from None
    if "escapade_version" not in ds.attrs:
        raise SolutionFileError(f"{str(p)!r} is not an escapade solution (no escapade_version)")
    if "scan_grid" in ds.attrs:
        raise SolutionFileError(
            f"{str(p)!r} is a parameter scan (escapade scan), not a single solution; read it "
            "with xarray.open_dataset (see docs/scans.md)"
        )
    fmt = int(ds.attrs.get("escapade_format", -1))
    if fmt != FORMAT_MAJOR:
        raise SolutionFileError(
            f"{str(p)!r} was written by escapade {ds.attrs['escapade_version']} in output format "
            f"{fmt}; this escapade ({__version__}) reads format {FORMAT_MAJOR} only: rerun it "
            "with this version (its config is stored in the file's config_toml attribute)"
        )
    return ds
