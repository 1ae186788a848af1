"""Readers of the shipped table formats: KISS, the DRAGON2 CRDB tables and CRDB/USINE exports.

Each reader turns one registry :class:`~escapade.measurements.tables.Entry` into a
:class:`~escapade.measurements.measurement.Measurement`, with the citation of the
original publication and the provenance recorded in the file's header.
"""

from __future__ import annotations

import re

import numpy as np

from .measurement import FLUX_UNITS, DataError, Measurement
from .tables import Entry, header_lines, header_value, read_numeric_rows, rel_path


def _units_from_kiss(head: list[str], x_kind: str) -> str:
    y = header_value(head, "# y = ") or ""
    if "ratio" in y:
        return "1"
    m = re.search(r"\[(.*)\]", y)
    return m.group(1) if m else FLUX_UNITS[x_kind]


def load_kiss(e: Entry) -> Measurement:
    """A KISS-CosmicRayDataBase table: x, y, stat-, stat+, syst-, syst+."""
    head = header_lines(e.path)
    rows = read_numeric_rows(e.path, 6)
    a = np.array([r for _, r in rows])
    ref = header_value(head, "#Ref:") or "?"
    src = header_value(head, "#Source:") or "?"
    taken = header_value(head, "# Taken from:") or ""
    readme = e.path.parent / "README.txt"
    if not taken and e.path.parent.name == "knee" and readme.is_file():
        taken = f"carmeloevoli/KISS-CosmicRayDataBase at commit c582d77, see {rel_path(readme)}"
    how = "CRDB export" if src == "CRDB" else "tables transcribed from the paper"
    citation = f"{e.experiment}, {ref}; via KISS-CosmicRayDataBase ({how}); {taken}" + (
        "; CRDB: Maurin, Melot & Taillet 2014 A&A 569 A32" if src == "CRDB" else ""
    )
    nan = np.full(len(a), np.nan)
    return Measurement(
        e.observable,
        e.experiment,
        a[:, 0],
        e.x_kind,
        a[:, 1],
        np.abs(a[:, 2]),
        np.abs(a[:, 3]),
        np.abs(a[:, 4]),
        np.abs(a[:, 5]),
        _units_from_kiss(head, e.x_kind),
        citation,
        rel_path(e.path),
        nan,
        nan.copy(),
        {"format": "kiss", "ref": ref},
    )


def _binned(
    e: Entry, a: np.ndarray, no_edges: np.ndarray, units: str, citation: str, meta: dict
) -> Measurement:
    """A table with columns x, x_lo, x_hi, y, stat-, stat+, syst-, syst+ (bin edges NaN
    where ``no_edges``; errors as positive magnitudes)."""
    lo, hi = a[:, 1].copy(), a[:, 2].copy()
    lo[no_edges] = np.nan
    hi[no_edges] = np.nan
    errors = [np.abs(a[:, k]) for k in range(4, 8)]
    return Measurement(
        e.observable,
        e.experiment,
        a[:, 0],
        e.x_kind,
        a[:, 3],
        *errors,
        units,
        citation,
        rel_path(e.path),
        lo,
        hi,
        meta,
    )


def load_dragon(e: Entry) -> Measurement:
    """A DRAGON2 CRDB table (10 columns: x, edges, y, four errors, ...)."""
    head = header_lines(e.path)
    rows = read_numeric_rows(e.path, 10)
    a = np.array([r for _, r in rows])
    x, lo, hi = a[:, 0], a[:, 1], a[:, 2]
    no_edges = ((lo == 0) & (hi == 0)) | ((lo == x) & (hi == x))
    pub = header_value(head, "# Publication:") or "?"
    src = header_value(head, "# Source:") or ""
    units = "1" if "/" in e.observable else FLUX_UNITS[e.x_kind]
    meta = {"format": "dragon2-crdb", "subexp": e.subexp}
    return _binned(e, a, no_edges, units, f"{e.subexp}: {pub}; {src}", meta)


def _crdb_rows(e: Entry) -> tuple[np.ndarray, list[str], list[float]]:
    """Values (columns 4-11), ADS bibcodes and modulation levels of one sub-experiment."""
    vals, bib, phi = [], [], []
    with open(e.path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.startswith("#") or not line.strip():
                continue
            p = line.split()
            if len(p) != 16:
                raise DataError(f"{e.path}:{lineno}: expected 16 columns, found {len(p)}")
            if p[0] != e.quantity or p[1] != e.subexp:
                continue
            if p[15] == "1":  # upper limit
                continue
            try:
                vals.append([float(v) for v in p[3:11]])
                phi.append(float(p[12]))
            except ValueError:
                raise DataError(f"{e.path}:{lineno}: not a number in {line.strip()!r}") from None
            bib.append(p[11].replace("%26", "&"))
    if not vals:
        raise DataError(f"{e.path}: no rows for {e.quantity} {e.subexp}")
    return np.array(vals), bib, phi


def load_crdb(e: Entry) -> Measurement:
    """One sub-experiment of a CRDB export in the USINE layout (16 columns)."""
    head = header_lines(e.path)
    a, bib, phi = _crdb_rows(e)
    lo, hi = a[:, 1], a[:, 2]
    no_edges = (lo == hi) | (lo == 0)
    src = header_value(head, "# Source:") or ""
    bibs = list(dict.fromkeys(bib))
    citation = (
        f"{e.subexp}: ADS {', '.join(bibs)}; CRDB export 2019 (Maurin, Melot & Taillet 2014 "
        f"A&A 569 A32); {src}"
    )
    units = "1" if "/" in e.quantity else FLUX_UNITS[e.x_kind]
    meta = {"format": "crdb-usine", "subexp": e.subexp, "ads": bibs, "phi_mv": sorted(set(phi))}
    return _binned(e, a, no_edges, units, citation, meta)
