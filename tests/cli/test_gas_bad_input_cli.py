"""Bad gas input to `escapade run` (issue 16): one line naming the key, the value and what is
allowed; exit status 2; nothing written."""

from __future__ import annotations

import gzip
import shutil

import pytest
from conftest import tiny_toml

from escapade.cli import main
from escapade.galaxy.gas3d import files as gas_files
from escapade.galaxy.gas3d import model as gas_model
from escapade.galaxy.gas3d import pohl2008

SURVEY3D = {"model": "survey3d"}


def _run_exit_2(tmp_path, capsys, toml: str, *fragments) -> str:
    cfg = tmp_path / "run.toml"
    cfg.write_text(toml)
    out = tmp_path / "out.nc"
    capsys.readouterr()
    assert main(["run", str(cfg), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("escapade: error:") and "\n" not in err, err
    for f in fragments:
        assert f in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.toml"]  # nothing written
    return err


def test_unknown_gas_model(tmp_path, capsys):
    toml = tiny_toml(4).replace('model = "galprop_analytic"', 'model = "nonsense"')
    _run_exit_2(
        tmp_path, capsys, toml, "gas.model = 'nonsense'", "'galprop_analytic' or 'survey3d'"
    )


@pytest.mark.parametrize(
    ("line", "fragments"),
    [
        ("dark_gas = true", ["dark_gas = true", "needs model = 'survey3d'", "galprop_analytic"]),
        ("hi_warp = false", ["hi_warp = false", "needs model = 'survey3d'"]),
        ('dust_map = "planck13"', ["dust_map = 'planck13'", "needs model = 'survey3d'"]),
    ],
)
def test_survey_option_with_the_analytic_gas(tmp_path, capsys, line, fragments):
    """A survey3d option (the survey constraint, the dark gas) with a model that cannot take it."""
    key = line.split(" = ")[0]
    text = tiny_toml(4)
    start = text.index(f"\n{key} = ", text.index("[gas]"))
    end = text.index("\n", start + 1)
    _run_exit_2(tmp_path, capsys, text[:start] + "\n" + line + text[end:], *fragments)


def test_unknown_dust_map(tmp_path, capsys):
    toml = tiny_toml(4, gas=SURVEY3D).replace('dust_map = "sfd98"', 'dust_map = "iras"')
    _run_exit_2(tmp_path, capsys, toml, "gas.dust_map = 'iras'", "'planck13' or 'sfd98'")


def _damage(kind: str, real, bad):
    """A missing file (nothing at ``bad``), garbage bytes, or a truncated copy of ``real``."""
    if kind == "garbage":
        bad.write_bytes(b"SIMPLE  = this is not a FITS file")
    elif kind == "truncated":
        data = real.read_bytes()
        bad.write_bytes(data[: len(data) // 3])
    return bad


FILES = [
    # (the module whose ``packaged`` finds it, the shipped name, extra [gas] keys, the key named)
    (gas_model, gas_files.HI4PI_FILE, {}, "gas.model = 'survey3d'"),
    (pohl2008, gas_files.POHL2008_FILE, {}, "gas.model = 'survey3d'"),
    (
        gas_model,
        gas_files.EBV_FILES["sfd98"],
        {"dark_gas": True},
        "gas.dust_map = 'sfd98' (gas.dark_gas = true)",
    ),
    (
        gas_model,
        gas_files.EBV_FILES["planck13"],
        {"dark_gas": True, "dust_map": "planck13"},
        "gas.dust_map = 'planck13' (gas.dark_gas = true)",
    ),
]


@pytest.mark.filterwarnings("error")  # a warning would be a second line on the terminal
@pytest.mark.parametrize("kind", ["missing", "garbage", "truncated"])
@pytest.mark.parametrize(("module", "name", "extra", "key"), FILES)
def test_missing_or_damaged_survey_file(
    tmp_path, capsys, monkeypatch, module, name, extra, key, kind
):
    """The packaged file replaced by a missing or damaged one (the config has no path keys)."""
    pohl2008._load.cache_clear()  # a good cube read by another test must not hide the bad one
    real = gas_files.packaged(name)
    files = tmp_path.parent / f"{tmp_path.name}-files"
    files.mkdir()
    bad = _damage(kind, real, files / real.name)
    monkeypatch.setattr(module, "packaged", lambda n: bad if n == name else gas_files.packaged(n))
    toml = tiny_toml(4, gas=SURVEY3D | extra)
    err = _run_exit_2(tmp_path, capsys, toml, key, real.name, "expected", "or gas.")
    assert ("is missing" in err) == (kind == "missing")
    pohl2008._load.cache_clear()


def test_truncated_gzip_cube_is_one_line_gas_error(tmp_path):
    """The reader itself: a cut gzip stream is a GasDataError naming the file."""
    real = gas_files.packaged(gas_files.POHL2008_FILE)
    with gzip.open(real) as src, open(tmp_path / "cube.fits", "wb") as dst:
        shutil.copyfileobj(src, dst)
    cut = tmp_path / "cut.fits"
    cut.write_bytes((tmp_path / "cube.fits").read_bytes()[:100000])
    with pytest.raises(gas_files.GasDataError) as exc:
        gas_files.read_pohl2008_raw(cut)
    assert "cut.fits" in str(exc.value) and "\n" not in str(exc.value)
