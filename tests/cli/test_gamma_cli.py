"""`escapade gamma` and the gamma-ray figures of `escapade plot`, end to end on a small grid."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from astropy_healpix.core import ring_to_nested
from conftest import tiny_toml

import escapade
from escapade.cli import main
from escapade.cli.gamma import parse_bands
from escapade.io import open_solution
from escapade.sky.compare import fermi_comparison, igrb_intensity, regrid
from escapade.sky.fermi import load_fermi_maps, observed_longitude_profile
from escapade.sky.fits import write_healpix_fits
from escapade.sky.io import SkyMapFileError, read_skymap_fits, read_skymaps
from escapade.sky.maps import SkyMap


def small_toml(tau: float) -> str:
    return tiny_toml(16, species={"propagate": ["1H", "4He"]}, diffusion={"tau": tau})


NSIDE = 32
BANDS = [(1.104, 1.442), (2.0, 20.0)]


def _one_line_error(capsys, *fragments):
    err = capsys.readouterr().err.strip()
    assert err.startswith("escapade: error:") and "\n" not in err, err
    for f in fragments:
        assert f in err, err
    return err


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two full solutions (tau = 0.85 and 0) and the sky folder of the first."""
    d = tmp_path_factory.mktemp("gamma")
    out = {}
    for tau in (0.85, 0.0):
        cfg = d / f"tau{tau}.toml"
        cfg.write_text(small_toml(tau))
        nc = d / f"tau{tau}.nc"
        assert main(["run", str(cfg), "-o", str(nc), "--full"]) == 0
        out[tau] = nc
    mid = d / "mid.nc"
    assert main(["run", str(d / "tau0.85.toml"), "-o", str(mid)]) == 0
    sky = d / "sky"
    bands = "1.104:1.442,2:20"
    assert (
        main(["gamma", str(out[0.85]), "--bands", bands, "--nside", str(NSIDE), "-o", str(sky)])
        == 0
    )
    return {"dir": d, "nc": out, "mid": mid, "sky": sky}


def test_gamma_writes_fits_per_band_and_phase(runs):
    files = sorted(p.name for p in runs["sky"].glob("*.fits"))
    expected = sorted(
        f"pi0_{c}_{e0:g}-{e1:g}GeV_nside{NSIDE}.fits"
        for e0, e1 in BANDS
        for c in ("HI", "H2", "HII", "total")
    )
    assert files == expected
    with fits.open(runs["sky"] / f"pi0_total_2-20GeV_nside{NSIDE}.fits") as hdul:
        h = hdul["SKYMAP"].header
        assert h["PIXTYPE"] == "HEALPIX" and h["ORDERING"] == "RING" and h["COORDSYS"] == "G"
        assert (
            h["NSIDE"] == NSIDE and h["INDXSCHM"] == "IMPLICIT" and h["LASTPIX"] == 12 * 32**2 - 1
        )
        assert h["TAU"] == 0.85 and h["D0"] == 2e28 and h["SOLUTION"] == "tau0.85.nc"
        assert hdul["EBOUNDS"].data["E_MIN"][0] == pytest.approx(2e6)
        assert hdul["EBOUNDS"].data["E_MAX"][0] == pytest.approx(2e7)
    assert list(runs["sky"].glob(".*tmp*")) == []


def test_fits_read_back_equal_to_the_api_maps(runs):
    ds = open_solution(runs["nc"][0.85])
    maps = read_skymaps(runs["sky"])
    assert [m.band for m in maps] == BANDS
    for m in maps:
        ref = escapade.skymap(ds, m.band, NSIDE)
        assert m.nside == NSIDE and list(m.maps) == ["HI", "H2", "HII", "total"]
        for comp in ref.maps:
            np.testing.assert_array_equal(m.maps[comp], ref.maps[comp])
        assert m.meta["tau"] == 0.85 and m.meta["pi0_model"] == "aafrag"
    one = read_skymap_fits(runs["sky"] / f"pi0_H2_2-20GeV_nside{NSIDE}.fits")
    assert list(one.maps) == ["H2"] and one.band == (2.0, 20.0)


def test_nested_fits_is_reordered_and_bad_folders_refused(tmp_path):
    nside = 4
    ring = np.arange(12 * nside**2, dtype=float)
    nested = np.empty_like(ring)
    nested[ring_to_nested(np.arange(ring.size), nside)] = ring
    p = write_healpix_fits(tmp_path / "m.fits", nested, nside, (2.0, 20.0))
    with fits.open(p, mode="update") as hdul:
        hdul["SKYMAP"].header["ORDERING"] = "NESTED"
        del hdul["SKYMAP"].header["EMIN"], hdul["SKYMAP"].header["EMAX"]  # band from EBOUNDS
    m = read_skymap_fits(p)
    np.testing.assert_array_equal(m.total, ring)
    assert m.band == pytest.approx((2.0, 20.0))
    with pytest.raises(SkyMapFileError, match="no FITS"):
        read_skymaps(tmp_path / "..")
    (tmp_path / "bad.fits").write_text("not fits")
    with pytest.raises(SkyMapFileError, match="bad.fits"):
        read_skymaps(tmp_path)


def test_emissivity_and_profile_csv(runs):
    t = np.loadtxt(runs["sky"] / "pi0_emissivity_z0_2-20GeV.csv", delimiter=",")
    head = (runs["sky"] / "pi0_emissivity_z0_2-20GeV.csv").read_text().splitlines()[:5]
    assert any("ph s^-1 sr^-1 (H atom)^-1" in h for h in head)
    assert head[-1] == "# r_kpc,q,q_over_q_sun"
    ds = open_solution(runs["nc"][0.85])
    q = escapade.emissivity(ds, (2.0, 20.0)).sel(z_kpc=0.0)
    np.testing.assert_allclose(t[:, 0], ds.r_kpc.values)
    np.testing.assert_allclose(t[:, 1], q.values, rtol=1e-5)
    inner = t[:, 2] > 0  # q = 0 on the boundary R_max
    assert np.interp(8.5, t[inner, 0], np.log(t[inner, 2])) == pytest.approx(0.0, abs=1e-5)
    p = np.loadtxt(runs["sky"] / "pi0_profile_absb5_2-20GeV.csv", delimiter=",")
    assert p.shape == (180, 8)
    ok = p[:, 3] > 0
    np.testing.assert_allclose(p[ok, 4] + p[ok, 5] + p[ok, 6], p[ok, 7], rtol=1e-5)


def test_missing_full_density_exit_2_no_output(runs, capsys):
    out = runs["dir"] / "nosky"
    assert main(["gamma", str(runs["mid"]), "-o", str(out)]) == 2
    _one_line_error(capsys, "--full", "mid.nc")
    assert not out.exists()


@pytest.mark.parametrize("bands", ["2:1", "abc", "1:2:3", "0:5", "1.104:1.442,2-20", "2:20,2:20"])
def test_bad_band_exit_2(runs, capsys, bands):
    out = runs["dir"] / "badsky"
    assert main(["gamma", str(runs["nc"][0.85]), "--bands", bands, "-o", str(out)]) == 2
    _one_line_error(capsys, repr(bands))
    assert not out.exists()


def test_bad_nside_exit_2(runs, capsys):
    assert main(["gamma", str(runs["nc"][0.85]), "--nside", "100", "-o", "x"]) == 2
    _one_line_error(capsys, "--nside 100", "power of two")


def test_parse_bands():
    assert parse_bands("1.104:1.442, 2:20") == [(1.104, 1.442), (2.0, 20.0)]


def test_plot_emissivity_overlays_runs(runs, capsys):
    out = runs["dir"] / "fig1.png"
    args = [str(runs["nc"][0.85]), str(runs["nc"][0.0]), str(runs["mid"])]
    assert main(["plot", *args, "--emissivity", "--bands", "0.1:100", "-o", str(out)]) == 0
    assert out.stat().st_size > 10_000 and out.read_bytes()[:4] == b"\x89PNG"
    assert main(["plot", *args, "--emissivity", "--bands", "5:1", "-o", str(out)]) == 2
    _one_line_error(capsys, "'5:1'")


def test_plot_longitude_profile_with_fermi(runs, capsys):
    out = runs["dir"] / "fig2.png"
    argv = ["plot", str(runs["sky"]), "--longitude-profile", "--band", "2:20", "--bmax", "5"]
    assert main([*argv, "--data", "fermi", "-o", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"
    text = capsys.readouterr().out
    assert "tau = 0.85" in text and "chi2 =" in text and "isotropic" in text
    assert main([*argv, "--data", "fermi", "--isotropic", "igrb", "-o", str(out)]) == 0
    assert "(igrb)" in capsys.readouterr().out
    assert main([*argv, "-o", str(out)]) == 0  # model alone
    assert main([*argv[:3], "--band", "1.104:1.442", "--data", "fermi", "-o", str(out)]) == 2
    _one_line_error(capsys, "2-20 GeV")
    assert main([*argv[:3], "--band", "3:30", "-o", str(out)]) == 2
    _one_line_error(capsys, "no total map of band 3:30")
    assert main([*argv, "--data", "AMS-02", "-o", str(out)]) == 2
    _one_line_error(capsys, "AMS-02")


def test_fermi_comparison_recovers_scale_and_isotropic():
    fm = load_fermi_maps()
    inten = np.nan_to_num(fm.intensity())
    same = fermi_comparison(SkyMap(128, (2.0, 20.0), {"total": inten}))
    assert same.attrs["isotropic"] == pytest.approx(0.0, abs=1e-12)
    assert same.attrs["chi2"] == pytest.approx(0.0, abs=1e-6)
    half = SkyMap(128, (2.0, 20.0), {"total": 0.5 * (inten - 1e-7)})
    cmp = fermi_comparison(half, fit_norm=True)
    assert cmp.attrs["norm"] == pytest.approx(2.0, rel=1e-6)
    assert cmp.attrs["isotropic"] == pytest.approx(1e-7, rel=1e-4)
    obs = observed_longitude_profile()
    np.testing.assert_allclose(cmp["model"], obs["intensity"], rtol=1e-8)
    # a finer map averaged down to the data's nside gives the same profile
    fine = SkyMap(256, (2.0, 20.0), {"total": regrid(inten, 256)})
    np.testing.assert_allclose(fermi_comparison(fine)["model"], same["model"], rtol=1e-12)


def test_igrb_band_integral():
    # Ackermann et al. 2015 model A: 7.2e-6 above 100 MeV, index 2.32, cut-off 279 GeV
    assert igrb_intensity((0.1, 820.0)) == pytest.approx(7.2e-6)
    assert igrb_intensity((2.0, 20.0)) == pytest.approx(1.295e-7, rel=2e-3)
