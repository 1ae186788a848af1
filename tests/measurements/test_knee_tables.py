"""The knee-region spectra shipped in data/cr/knee/ (verbatim copies of the shared data's
cr/knee/ tables): names from their headers, rows as in the files."""

from __future__ import annotations

from pathlib import Path

import pytest

from escapade.measurements import DATA_DIR, list_measurements, load_measurement

SHARED_KNEE = Path(__file__).resolve().parents[3] / "shared" / "data" / "cr" / "knee"
KNEE = DATA_DIR / "knee"
NAMES = (
    "H:GRAPES-3",
    "H:KASCADE(Kuznetsov2024)",
    "H:LHAASO(EPOS-LHC)",
    "He:KASCADE(Kuznetsov2024)",
    "He:LHAASO(EPOS-LHC)",
    "light:HAWC",
)


def test_knee_tables_are_verbatim_and_documented():
    files = sorted(f for f in KNEE.glob("*.txt") if f.name != "README.txt")
    assert len(files) == len(NAMES)
    readme = (KNEE / "README.txt").read_text()
    for f in files:
        assert f.name in readme and f.read_text().startswith("#Source:")
        if SHARED_KNEE.is_dir():
            assert (SHARED_KNEE / f.name).read_bytes() == f.read_bytes(), f.name


def test_knee_tables_are_named_from_their_headers():
    names = list_measurements()
    for n in NAMES:
        assert n in names
        m = load_measurement(n)
        assert m.x_kind == "etot" and m.units == "m^-2 s^-1 sr^-1 GeV^-1"
        assert "data/cr/knee/README.txt" in m.citation
    assert load_measurement("p:lhaaso").name == "H:LHAASO(EPOS-LHC)"
    assert load_measurement("He:KASCADE").name == "He:KASCADE(Kuznetsov2024)"


def test_knee_rows_are_those_of_the_file():
    m = load_measurement("H:LHAASO(EPOS-LHC)")
    row = [m.x[0], m.y[0], m.stat_lo[0], m.stat_hi[0], m.syst_lo[0], m.syst_hi[0]]
    assert row == pytest.approx([1.778e5, 7.390e-11, 1.0e-13, 1.0e-13, 4.1e-12, 4.1e-12])
    assert "arXiv:2511.05013" in m.citation
