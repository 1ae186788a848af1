"""Robustness: reproducibility, interruption, generated valid and invalid configurations."""

import math
import signal
import subprocess
import sys
import time

import numpy as np
from conftest import tiny_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import escapade
from escapade.config import ConfigError

TINY = {"nr": 11, "nz": 13, "n_ekin": 6, "ekin_min_gev_per_n": 1.0, "ekin_max_gev_per_n": 1e3}


def test_same_config_gives_bit_identical_results(tmp_path):
    cfg = tiny_config()
    a = escapade.open_solution(escapade.write_solution(escapade.solve(cfg), tmp_path / "a.nc"))
    b = escapade.open_solution(escapade.write_solution(escapade.solve(cfg), tmp_path / "b.nc"))
    for name in a.data_vars:
        assert np.array_equal(a[name].values, b[name].values), name
    for key in set(a.attrs) - {"run_seconds"}:
        assert str(a.attrs[key]) == str(b.attrs[key]), key
    # the stored config reruns to the same numbers
    again = escapade.solve(
        escapade.validate_config(__import__("tomllib").loads(a.attrs["config_toml"]))
    )
    assert np.array_equal(again.density_midplane.values, a.density_midplane.values)


def _default_signals() -> None:
    """In the child before exec: SIGINT and SIGTERM at their default handling and not
    blocked, whatever this test process inherited (an ignored or blocked SIGINT survives
    exec, and the run would then never see the signal)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


def test_interrupted_run_leaves_previous_file_and_no_partial_file(tmp_path):
    cfg = tmp_path / "slow.toml"
    cfg.write_text("[grid]\nnr = 161\nnz = 321\nn_ekin = 200\n")
    out = tmp_path / "out.nc"
    out.write_bytes(b"previous result")
    for sig in (signal.SIGINT, signal.SIGTERM):
        proc = subprocess.Popen(
            [sys.executable, "-m", "escapade.cli", "run", str(cfg), "-o", str(out), "-v"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_default_signals,
        )
        # interrupt the solve, not the imports (which take seconds on a loaded machine)
        seen = ""
        while "solve started" not in seen and proc.poll() is None:
            seen += proc.stderr.readline()
        time.sleep(1.0)
        assert proc.poll() is None, f"the run ended before the signal: {seen}"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        err = seen + err
        assert proc.returncode != 0
        assert "Traceback" not in err
        assert out.read_bytes() == b"previous result"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.nc", "slow.toml"]


valid_overrides = st.fixed_dictionaries(
    {},
    optional={
        "diffusion": st.fixed_dictionaries(
            {
                "tau": st.floats(0.0, 1.0),
                "d0_cm2_s": st.floats(5e27, 2e29),
                "delta": st.floats(0.2, 0.8),
                "parallel_ratio": st.sampled_from([0.0, 1.0, 10.0, 100.0]),
                "model": st.sampled_from(["uniform", "source_correlated"]),
            }
        ),
        "source": st.fixed_dictionaries(
            {
                "radial": st.sampled_from(
                    ["lorimer", "ferriere", "case_bhattacharya", "yusifov_kucuk", "uniform"]
                ),
                "rigidity_index": st.floats(1.8, 2.8),
                "vertical": st.sampled_from(["exponential", "slab"]),
            }
        ),
        "gas": st.fixed_dictionaries({"enabled": st.booleans(), "x_co": st.floats(1e19, 1e21)}),
        "convection": st.fixed_dictionaries({"v0_km_s": st.floats(0.0, 30.0)}),
    },
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_overrides)
def test_generated_valid_configs_give_finite_nonnegative_densities(over):
    data = {"grid": dict(TINY), **over}
    ds = escapade.solve(escapade.validate_config(data))
    for name in ("density_midplane", "flux_local", "anisotropy"):
        v = ds[name].values
        assert np.all(np.isfinite(v)) and np.all(v >= 0), name


BAD_VALUES = {
    ("diffusion", "tau"): st.one_of(st.floats(1.0001, 1e6), st.floats(-1e6, -1e-6)),
    ("diffusion", "d0_cm2_s"): st.floats(-1e30, 0.0),
    ("diffusion", "delta"): st.floats(1.51, 10.0),
    ("grid", "nr"): st.integers(-10, 8),
    ("grid", "nz"): st.one_of(st.integers(-10, 8), st.text(max_size=3)),
    ("galaxy", "halo_height_kpc"): st.floats(-10.0, 0.0),
    ("gas", "he_to_h"): st.floats(1.01, 5.0),
    ("source", "radial"): st.text(min_size=1, max_size=8).filter(
        lambda s: s not in ("lorimer", "ferriere", "uniform")
    ),
    ("convection", "v0_km_s"): st.floats(-100.0, -0.001),
}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(BAD_VALUES)), st.data())
def test_generated_invalid_values_are_rejected_naming_the_key(key, data):
    section, name = key
    value = data.draw(BAD_VALUES[key])
    try:
        escapade.validate_config({section: {name: value}})
    except ConfigError as exc:
        assert f"{section}.{name}" in str(exc)
    else:  # pragma: no cover - the test fails
        raise AssertionError(f"{section}.{name} = {value!r} was accepted")


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12))
def test_generated_unknown_keys_are_rejected(key):
    if key in escapade.Config.model_fields["diffusion"].annotation.model_fields:
        return
    try:
        escapade.validate_config({"diffusion": {key: 1.0}})
    except ConfigError as exc:
        assert f"unknown key {key!r}" in str(exc)
    else:  # pragma: no cover
        raise AssertionError(f"unknown key {key} accepted")


def test_non_finite_values_are_rejected():
    for value in (math.inf, -math.inf, math.nan):
        try:
            escapade.validate_config({"diffusion": {"d0_cm2_s": value}})
        except ConfigError as exc:
            assert "d0_cm2_s" in str(exc)
        else:  # pragma: no cover
            raise AssertionError(value)
