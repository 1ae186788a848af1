"""Measured-data registry: names, loaders against raw rows, pbar/p, user CSV validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from escapade.fit import (
    DATA_DIR,
    DataError,
    Measurement,
    list_measurements,
    list_observables,
    load_csv,
    load_measurement,
)

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "cr"


def _row(m: Measurement, i: int):
    return [m.x[i], m.y[i], m.stat_lo[i], m.stat_hi[i], m.syst_lo[i], m.syst_hi[i]]


# -- registry --------------------------------------------------------------------------
def test_required_names_are_listed():
    names = set(list_measurements())
    for n in (
        "B/C:AMS-02",
        "B/C:AMS-02@Ekn",
        "B/C:HEAO-3",
        "B/C:PAMELA",
        "B/C:CREAM",
        "B/C:TRACER",
        "B/C:CALET",
        "C:AMS-02",
        "C:HEAO-3",
        "O:HEAO-3",
        "N:HEAO-3",
        "C:Voyager",
        "O:Voyager",
        "C:CREAM",
        "C:TRACER",
        "H:AMS-02",
        "He:AMS-02",
        "Li:AMS-02",
        "Be:AMS-02",
        "B:AMS-02",
        "Ne:AMS-02",
        "Mg:AMS-02",
        "Si:AMS-02",
        "Fe:AMS-02",
        "Be/B:AMS-02",
        "C/O:AMS-02",
        "10Be/9Be:ACE-CRIS",
        "10Be/9Be:ISOMAX",
        "pbar:AMS-02",
        "pbar/p:AMS-02",
        "e+:AMS-02",
        "e-:AMS-02",
        "posfraction:AMS-02",
        "posfraction:PAMELA",
        "SubFe/Fe:HEAO-3",
    ):
        assert n in names, n
    assert "B/C" in list_observables()
    assert list_measurements("B/C", "HEAO-3") == ["B/C:HEAO-3"]
    assert all(n.startswith("10Be/9Be:") for n in list_measurements("10Be/9Be"))


def test_every_shipped_table_loads():
    for n in list_measurements():
        m = load_measurement(n)
        assert m.name == n
        assert len(m) > 0 and m.x_kind in ("ekin_per_n", "rigidity", "ekin", "etot")
        for a in (m.x, m.y, m.stat_lo, m.stat_hi, m.syst_lo, m.syst_hi):
            assert a.shape == m.x.shape and np.all(np.isfinite(a))
        assert np.all(m.x > 0)
        assert min(m.stat_lo.min(), m.stat_hi.min(), m.syst_lo.min(), m.syst_hi.min()) >= 0
        assert m.citation and m.source


def test_shipped_files_keep_provenance_and_are_verbatim():
    files = sorted(f for f in DATA_DIR.glob("*.txt") if f.name != "README.txt")
    assert len(files) >= 100
    for f in files:
        assert f.read_text(encoding="utf-8").startswith("#"), f
    if SHARED.is_dir():
        for f in files:
            src = SHARED / f.name
            if not src.exists():
                src = SHARED / "kiss" / f.name
            assert src.read_bytes() == f.read_bytes(), f.name


def test_aliases_and_axes():
    assert load_measurement("p:ams02").name == "H:AMS-02"
    assert load_measurement("C:HEAO3-C2(1979/10-1980/06)").name == "C:HEAO-3"
    assert load_measurement("C:Voyager1").name == "C:Voyager"
    m = load_measurement("B/C:AMS-02")
    assert m.x_kind == "rigidity" and m.x_units == "GV" and m.is_ratio
    m = load_measurement("B/C:AMS-02@Ekn")
    assert m.x_kind == "ekin_per_n" and m.name == "B/C:AMS-02@Ekn"
    assert load_measurement("C:PAMELA").x_kind == "ekin_per_n"  # as published
    assert load_measurement("C:PAMELA@R").x_kind == "rigidity"
    assert load_measurement("e+e-:CALET").x_kind == "etot"
    assert load_measurement("He:CALET").x_kind == "ekin"
    m = load_measurement("H:AMS-02")
    assert m.units == "m^-2 s^-1 sr^-1 GV^-1"


# -- loaders reproduce raw rows -------------------------------------------------------
def test_kiss_rows():
    m = load_measurement("B/C:AMS-02")
    # AMS-02_B_C_rigidity.txt, first and last data rows
    assert _row(m, 0) == [2.032, 0.2867, 1.3e-3, 1.3e-3, 1.59e-2, 1.59e-2]
    assert _row(m, -1) == [2.071e3, 4.65e-2, 9.5e-3, 9.5e-3, 4.0e-3, 4.0e-3]
    assert "2021PhR...894....1A" in m.citation and "KISS" in m.citation
    m = load_measurement("pbar:AMS-02")
    assert _row(m, 0) == [1.076, 6.41e-3, 8.5e-4, 8.5e-4, 5.7e-4, 5.7e-4]
    assert _row(m, -1) == [413.6, 1.33e-7, 3.6e-8, 3.6e-8, 3.9e-8, 3.9e-8]
    assert len(m) == 58 and len(load_measurement("H:AMS-02")) == 72


def test_dragon_rows():
    m = load_measurement("B/C:HEAO-3")
    assert m.x_kind == "ekin_per_n" and len(m) == 14
    assert _row(m, 0) == [0.62, 0.321, 7.5e-3, 7.5e-3, 0.0, 0.0]
    assert _row(m, -1) == [35.0, 0.121, 2.4e-3, 2.4e-3, 0.0, 0.0]
    assert np.all(np.isnan(m.x_lo))  # HEAO-3 gives no bin edges
    assert "Engelmann" in m.citation
    m = load_measurement("10Be/9Be:ACE-CRIS")
    assert _row(m, 0) == [0.106771, 0.115, 0.013, 0.013, 0.0, 0.0]
    assert _row(m, -1) == [0.131909, 0.122, 0.016, 0.016, 0.0, 0.0]
    assert (m.x_lo[0], m.x_hi[0]) == (0.095, 0.12)
    m = load_measurement("10Be/9Be:ISOMAX")
    assert _row(m, -1) == [1.51523, 0.317, 0.109, 0.109, 0.042, 0.042]
    m = load_measurement("B/C:PAMELA(2006/07-2008/03)")
    assert _row(m, 0) == [0.49, 0.328, 9e-3, 9e-3, 2.2e-2, 2.3e-2]
    assert (m.x_lo[-1], m.x_hi[-1]) == (75.3, 129.0)


def test_crdb_rows_select_one_sub_experiment():
    m = load_measurement("C:HEAO-3")
    assert m.meta["subexp"] == "HEAO3-C2(1979/10-1980/06)" and len(m) == 14
    # CRDB_export_2019_C_USINEformat.txt: the HEAO3-C2 rows (lower stat errors are
    # stored with a minus sign in the USINE format)
    assert _row(m, 0) == [0.62, 2.97528, 5.7632e-2, 5.7632e-2, 0.0, 0.0]
    assert _row(m, -1) == [35.0, 1.24605e-3, 1.91941e-4, 1.91941e-4, 0.0, 0.0]
    assert m.meta["phi_mv"] == [742.0]
    assert "1990A&A...233...96E" in m.citation and "Maurin" in m.citation
    m = load_measurement("C:ACE-CRIS(2009/03-2010/01)")
    assert len(m) == 7 and m.x[0] == 7.2e-2 and m.y[0] == 6.589
    m = load_measurement("O:TRACER99")
    assert len(m) == 4


def test_pbar_over_p_matches_bins():
    m = load_measurement("pbar/p:AMS-02")
    pb, p = load_measurement("pbar:AMS-02"), load_measurement("H:AMS-02")
    assert m.x_kind == "rigidity" and len(m) == len(pb) == 58
    assert len(m.meta["identical_bins"]) == 49  # the first 49 bins are the same bins
    np.testing.assert_array_equal(m.x, pb.x)
    assert m.y[0] == pytest.approx(6.41e-3 / 824.7, rel=1e-12)
    k = m.meta["identical_bins"][-1]
    assert pb.x[k] == p.x[k] and m.y[k] == pytest.approx(pb.y[k] / p.y[k], rel=1e-12)
    # wider bins: p between its neighbouring bins, ratio of the expected size
    for k in m.meta["interpolated_bins"]:
        i = np.searchsorted(p.x, pb.x[k])
        assert p.y[i] < pb.y[k] / m.y[k] < p.y[i - 1]
    assert np.all((m.y > 5e-6) & (m.y < 5e-4))
    rel = m.stat_lo / m.y
    assert np.all(rel >= pb.stat_lo / pb.y - 1e-15)


# -- errors ----------------------------------------------------------------------------
def test_unknown_name_lists_choices():
    with pytest.raises(
        ValueError,
        match=r"Did you mean 'B/C:AMS-02'.*Valid choices for B/C:"
        r".*B/C:HEAO-3",
    ):
        load_measurement("B/C:AMS02X")
    with pytest.raises(ValueError, match=r"unknown observable 'B/X'.*Valid observables:.*10Be/9Be"):
        load_measurement("B/X:AMS-02")
    with pytest.raises(DataError, match="OBSERVABLE:EXPERIMENT"):
        load_measurement("BC")
    with pytest.raises(DataError, match=r"ambiguous.*C:ACE-CRIS\(2009/03-2010/01\)"):
        load_measurement("C:ACE-CRIS")
    with pytest.raises(DataError, match=r"no x axis 'Etot'.*B/C:AMS-02@Ekn"):
        load_measurement("B/C:AMS-02@Etot")


# -- user CSV --------------------------------------------------------------------------
GOOD = """# observable: B/C
# experiment: MyExp
# x_kind: rigidity
# citation: made up for a test
x,y,stat_lo,stat_up,sys_lo,sys_up
2.0,0.30,0.01,0.01,0.02,0.02
5.0,0.25,0.01,0.02,0.01,0.01
20,0.15,0.01,0.01,0.01,0.01
"""


def _write(tmp_path, text, name="table.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_csv_round_trip(tmp_path):
    p = _write(tmp_path, GOOD)
    m = load_measurement(p)
    assert m.name == "B/C:MyExp" and m.x_kind == "rigidity" and m.units == "1"
    assert _row(m, 1) == [5.0, 0.25, 0.01, 0.02, 0.01, 0.01]
    assert m.citation == "made up for a test"
    m2 = load_csv(p, observable="C", experiment="X")
    assert m2.name == "C:X" and m2.units == "m^-2 s^-1 sr^-1 GV^-1"
    lo, hi = m.total_errors()
    assert hi[1] == pytest.approx(np.hypot(0.02, 0.01))
    sel = m.select(m.x > 3)
    assert len(sel) == 2 and sel.x[0] == 5.0


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("5.0,0.25,0.01,0.02,0.01", r"table\.csv:7: expected 6 comma-separated columns"),
        ("5.0,0.25,0.01,0.02,0.01,0.01,7", r"table\.csv:7: expected 6 .*found 7"),
        ("5.0,nan,0.01,0.02,0.01,0.01", r"table\.csv:7: column 'y' is nan"),
        (
            "5.0,0.25,-0.01,0.02,0.01,0.01",
            r"table\.csv:7: negative error -0\.01 in column "
            r"'stat_lo'",
        ),
        (
            "1.0,0.25,0.01,0.02,0.01,0.01",
            r"table\.csv:7: x = 1 is not larger than x = 2 "
            r"on line 6",
        ),
        ("5.0,abc,0.01,0.02,0.01,0.01", r"table\.csv:7: column 'y' is not a number"),
    ],
)
def test_csv_malformed_lines_name_file_and_line(tmp_path, bad_line, message):
    text = GOOD.replace("5.0,0.25,0.01,0.02,0.01,0.01", bad_line)
    p = _write(tmp_path, text)
    with pytest.raises(DataError, match=message):
        load_csv(p)


def test_csv_header_problems(tmp_path):
    p = _write(tmp_path, GOOD.replace("# x_kind: rigidity\n", ""))
    with pytest.raises(DataError, match=r"table\.csv: no header line naming x_kind"):
        load_csv(p)
    p = _write(tmp_path, GOOD.replace("x_kind: rigidity", "x_kind: momentum"))
    with pytest.raises(DataError, match=r"unknown x_kind 'momentum'; allowed: ekin_per_n"):
        load_csv(p)
    p = _write(tmp_path, GOOD.replace("x,y,stat_lo", "x,y,err_lo"))
    with pytest.raises(DataError, match=r"table\.csv:5: column header"):
        load_csv(p)
    with pytest.raises(DataError, match="no such file"):
        load_csv(tmp_path / "missing.csv")
