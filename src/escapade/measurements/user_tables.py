"""User tables: CSV files in the column layout of the shipped KISS tables."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from .measurement import FLUX_UNITS, X_KIND_ALIASES, X_KINDS, DataError, Measurement

CSV_COLUMNS = ("x", "y", "stat_lo", "stat_up", "sys_lo", "sys_up")
"""The columns of a user table, in order."""

Rows = list[tuple[int, list[float]]]


def load_csv(path, observable: str | None = None, experiment: str | None = None) -> Measurement:
    """Read a user table in the CSV layout of the shipped KISS tables.

    Layout::

        # x_kind: rigidity           (required: ekin_per_n | rigidity | ekin | etot)
        # observable: B/C            (or the ``observable`` argument)
        # experiment: MyExperiment   (default: the file name without extension)
        # units: 1                   (optional; default 1 for ratios, else flux per x)
        # citation: ...              (optional)
        x,y,stat_lo,stat_up,sys_lo,sys_up     (optional column header line)
        2.0,0.287,0.0013,0.0013,0.0159,0.0159
        ...

    Header lines are ``# key: value`` (or ``key = value``). Errors are positive
    magnitudes. Raises :class:`DataError` naming the file and the line for a wrong
    column count, a value that is not a number, NaN or infinity, a negative error,
    x <= 0 or x not strictly increasing.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    meta, rows = _read(path)
    kind = _x_kind(path, meta)
    obs = observable or meta.get("observable")
    if not obs:
        raise DataError(f"{path}: no observable (header '# observable: B/C' or argument)")
    if not rows:
        raise DataError(f"{path}: no data rows")
    exp = experiment or meta.get("experiment") or path.stem
    units = meta.get("units") or ("1" if "/" in obs or obs == "posfraction" else FLUX_UNITS[kind])
    a = np.array([r for _, r in rows])
    nan = np.full(len(a), np.nan)
    return Measurement(
        obs,
        exp,
        a[:, 0],
        kind,
        a[:, 1],
        a[:, 2],
        a[:, 3],
        a[:, 4],
        a[:, 5],
        units,
        meta.get("citation", f"user table {path}"),
        str(path),
        nan,
        nan.copy(),
        {"format": "csv"},
    )


def _read(path: Path) -> tuple[dict[str, str], Rows]:
    """The ``# key: value`` header entries and the checked data rows of a CSV table."""
    meta: dict[str, str] = {}
    rows: Rows = []
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    for lineno, raw in enumerate(lines, start=1):
        s = raw.strip()
        if not s:
            continue
        if s.startswith("#"):
            m = re.match(r"^([A-Za-z_]+)\s*[:=]\s*(.*)$", s.lstrip("#").strip())
            if m:
                meta[m.group(1).lower()] = m.group(2).strip()
            continue
        parts = [p.strip() for p in s.split(",")]
        if not rows and parts and parts[0].lower() == "x":
            if tuple(p.lower() for p in parts) != CSV_COLUMNS:
                raise DataError(
                    f"{path}:{lineno}: column header {s!r}; expected {','.join(CSV_COLUMNS)}"
                )
            continue
        rows.append((lineno, _row(path, lineno, parts, rows[-1] if rows else None)))
    return meta, rows


def _row(path: Path, lineno: int, parts: list[str], previous) -> list[float]:
    """The six values of one data row, checked (numbers, errors >= 0, x > 0 increasing)."""
    if len(parts) != len(CSV_COLUMNS):
        raise DataError(
            f"{path}:{lineno}: expected {len(CSV_COLUMNS)} comma-separated columns "
            f"({','.join(CSV_COLUMNS)}), found {len(parts)}"
        )
    vals = []
    for col, p in zip(CSV_COLUMNS, parts, strict=True):
        try:
            v = float(p)
        except ValueError:
            raise DataError(f"{path}:{lineno}: column {col!r} is not a number: {p!r}") from None
        if not math.isfinite(v):
            raise DataError(f"{path}:{lineno}: column {col!r} is {p} (NaN or infinite)")
        if col not in ("x", "y") and v < 0:
            raise DataError(
                f"{path}:{lineno}: negative error {v:g} in column {col!r}; give errors "
                "as positive magnitudes"
            )
        vals.append(v)
    if vals[0] <= 0:
        raise DataError(f"{path}:{lineno}: x = {vals[0]:g} must be positive")
    if previous is not None and vals[0] <= previous[1][0]:
        raise DataError(
            f"{path}:{lineno}: x = {vals[0]:g} is not larger than x = {previous[1][0]:g} "
            f"on line {previous[0]}; rows must have strictly increasing x"
        )
    return vals


def _x_kind(path: Path, meta: dict[str, str]) -> str:
    """The x axis named by the ``x_kind`` header line."""
    kind_in = meta.get("x_kind")
    if kind_in is None:
        raise DataError(
            f"{path}: no header line naming x_kind (e.g. '# x_kind: rigidity'); "
            f"allowed: {', '.join(X_KINDS)}"
        )
    kind = X_KIND_ALIASES.get(kind_in.replace(" ", "").lower())
    if kind is None:
        raise DataError(f"{path}: unknown x_kind {kind_in!r}; allowed: {', '.join(X_KINDS)}")
    return kind
