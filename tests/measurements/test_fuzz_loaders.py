"""Fuzzing the readers: damaged user tables and solution files give clear errors, never
a traceback from inside numpy or netCDF, never silent garbage."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import escapade
from escapade.io import SolutionFileError, open_solution, write_solution
from escapade.measurements import DataError, load_csv

GOOD_CSV = """# x_kind: rigidity
# observable: B/C
# experiment: fuzz
x,y,stat_lo,stat_up,sys_lo,sys_up
2.0,0.30,0.01,0.01,0.01,0.01
5.0,0.25,0.01,0.01,0.01,0.01
10.0,0.20,0.01,0.01,0.01,0.01
20.0,0.16,0.01,0.01,0.01,0.01
"""


def _mutations():
    text = GOOD_CSV
    cut = st.integers(0, len(text)).map(lambda i: text[:i])  # truncated
    flip = st.tuples(st.integers(0, len(text) - 1), st.characters(codec="utf-8")).map(
        lambda t: text[: t[0]] + t[1] + text[t[0] + 1 :]
    )  # one character replaced
    junk = st.text(max_size=200)  # anything at all
    return st.one_of(cut, flip, junk)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_mutations())
def test_user_tables_load_or_fail_clearly(tmp_path, text):
    p = tmp_path / "fuzz.csv"
    p.write_text(text, encoding="utf-8")
    try:
        m = load_csv(p)
    except DataError as exc:
        assert str(exc) and "\n" not in str(exc).strip()
        return
    # whatever loads is usable: finite, positive x increasing, non-negative errors
    assert np.all(np.isfinite(m.y)) and np.all(np.diff(m.x) > 0) and np.all(m.x > 0)
    lo, hi = m.total_errors()
    assert np.all(lo >= 0) and np.all(hi >= 0)


@pytest.fixture(scope="module")
def solution_bytes(tmp_path_factory):
    cfg = escapade.validate_config({"grid": {"nr": 11, "nz": 13, "n_ekin": 6}})
    p = tmp_path_factory.mktemp("sol") / "s.nc"
    write_solution(escapade.solve(cfg), p)
    return p.read_bytes()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_damaged_solution_files_fail_clearly(tmp_path, solution_bytes, data):
    raw = bytearray(solution_bytes)
    how = data.draw(st.sampled_from(["truncate", "corrupt", "empty"]))
    if how == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    elif how == "corrupt":
        for _ in range(data.draw(st.integers(1, 20))):
            i = data.draw(st.integers(0, len(raw) - 1))
            raw[i] = data.draw(st.integers(0, 255))
    else:
        raw = bytearray()
    p = tmp_path / "bad.nc"
    p.write_bytes(bytes(raw))
    try:
        ds = open_solution(p)
    except SolutionFileError as exc:
        assert str(p) in str(exc)
        return
    # a few flipped bytes can land in padding: then the file must still be a solution
    assert "config_toml" in ds.attrs and "density_midplane" in ds


def test_other_format_generation_is_refused(tmp_path, solution_bytes):
    p = tmp_path / "s.nc"
    p.write_bytes(solution_bytes)
    ds = open_solution(p)
    ds.attrs["escapade_format"] = 99
    ds.attrs["escapade_version"] = "9.0.0"
    ds.to_netcdf(tmp_path / "new.nc", engine="netcdf4")
    with pytest.raises(SolutionFileError, match="written by escapade 9.0.0 in output format 99"):
        open_solution(tmp_path / "new.nc")
    del ds.attrs["escapade_version"]
    ds.to_netcdf(tmp_path / "foreign.nc", engine="netcdf4")
    with pytest.raises(SolutionFileError, match="not an escapade solution"):
        open_solution(tmp_path / "foreign.nc")
