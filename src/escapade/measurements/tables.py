"""The shipped measured tables on disk: their folder, registry entries and plain text readers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .measurement import DataError

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "cr"
"""Folder of the shipped measured tables."""


@dataclass
class Entry:
    """One shipped table (or derived one) of the registry: what it holds and where."""

    observable: str
    experiment: str
    x_kind: str
    kind: str  # "kiss" | "dragon" | "crdb" | "derived"
    path: Path | None = None
    subexp: str | None = None  # CRDB / DRAGON sub-experiment name
    quantity: str | None = None  # CRDB quantity (column 1)


def rel_path(path: Path) -> str:
    """``path`` relative to the package's parent folder (as stored in ``source``)."""
    try:
        return str(path.relative_to(DATA_DIR.parent.parent))
    except ValueError:
        return str(path)


def read_numeric_rows(path: Path, ncols: int) -> list[tuple[int, list[float]]]:
    """(line number, values) of the whitespace-separated rows with ``ncols`` numbers."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            parts = s.split()
            if len(parts) != ncols:
                raise DataError(f"{path}:{lineno}: expected {ncols} columns, found {len(parts)}")
            try:
                rows.append((lineno, [float(v) for v in parts]))
            except ValueError:
                raise DataError(f"{path}:{lineno}: not a number in {s!r}") from None
    if not rows:
        raise DataError(f"{path}: no data rows")
    return rows


def header_lines(path: Path) -> list[str]:
    """The ``#`` lines before the first data row."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                out.append(line.rstrip("\n"))
            elif line.strip():
                break
    return out


def header_value(lines: list[str], prefix: str) -> str | None:
    """The rest of the first header line starting with ``prefix`` (None if there is none)."""
    for ln in lines:
        if ln.startswith(prefix):
            return ln[len(prefix) :].strip()
    return None
