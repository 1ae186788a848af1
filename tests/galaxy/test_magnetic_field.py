"""The regular-field directions of the 3D engine (escapade.galaxy.magnetic_field)."""

from __future__ import annotations

import numpy as np
import pytest

from escapade.config import FieldConfig
from escapade.galaxy.magnetic_field import (
    FIELD_MODELS,
    JanssonFarrar2012Disc,
    Pshirkov2011,
    field_direction,
    field_vector,
)

RNG = np.random.default_rng(17)
POINTS = RNG.uniform([-19.0, -19.0, -3.5], [19.0, 19.0, 3.5], size=(400, 3))


def longitude_deg(b) -> float:
    """Galactic longitude the vector b points to at the Sun (l = 0: -x, l = 90 deg: +y, the
    frame of escapade.galaxy.gas3d.survey)."""
    return float(np.degrees(np.arctan2(b[1], -b[0])) % 360.0)


def pitch_deg(b, x, y) -> np.ndarray:
    """Pitch angle of b = -sin p R_hat + cos p phi_hat (along the rotation, +phi):
    atan2(-b_R, b_phi)."""
    phi = np.arctan2(y, x)
    b_r = b[..., 0] * np.cos(phi) + b[..., 1] * np.sin(phi)
    b_phi = -b[..., 0] * np.sin(phi) + b[..., 1] * np.cos(phi)
    return np.degrees(np.arctan2(-b_r, b_phi))


@pytest.mark.parametrize("model", FIELD_MODELS)
def test_unit_length_everywhere_axis_included(model):
    cfg = FieldConfig(model=model)
    x, y, z = POINTS.T
    x = np.append(x, [0.0, 25.0, 1.0])  # the axis, beyond every model, a BSS-free corner
    y = np.append(y, [0.0, 0.0, 0.0])
    z = np.append(z, [0.0, 0.0, 0.0])
    b = field_direction(cfg, x, y, z)
    assert b.shape == (x.size, 3)
    assert np.allclose(np.linalg.norm(b, axis=-1), 1.0, atol=1e-12)


@pytest.mark.parametrize("pitch", [0.0, 5.0, 11.5, 30.0, 75.0])
def test_log_spiral_pitch_recovered_and_local_direction(pitch):
    cfg = FieldConfig(model="log_spiral", pitch_angle_deg=pitch)
    x, y, z = POINTS[:20].T
    b = field_direction(cfg, x, y, z)
    assert np.allclose(pitch_deg(b, x, y), pitch, atol=1e-9)
    assert np.allclose(b[:, 2], 0.0)
    # along the rotation (+y at the Sun), trailing: at the Sun towards l = 90 deg - p
    assert longitude_deg(field_direction(cfg, 8.5, 0.0, 0.0)) == pytest.approx(90.0 - pitch)


def test_log_spiral_default_is_the_letters_azimuthal_field():
    b = field_direction(FieldConfig(), np.array([8.5, 0.0]), np.array([0.0, 5.0]), 0.0)
    assert np.allclose(b, [[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]], atol=1e-15)  # along +phi


@pytest.mark.parametrize(("model", "p"), [("pshirkov2011_ass", 5.0), ("pshirkov2011_bss", 6.0)])
def test_pshirkov_local_field_points_to_l_90_plus_their_pitch(model, p):
    # Pshirkov et al. 2011: p = -5 (ASS), -6 deg (BSS); the local field towards l = 90 + p,
    # of strength B0 = 2 uG (Table 3); the halo adds a small azimuthal part at z = 0
    disc = FieldConfig(model=model, halo=False)
    b = field_direction(disc, 8.5, 0.0, 0.0)
    assert longitude_deg(b) == pytest.approx(90.0 - p, abs=1e-9)
    assert np.linalg.norm(field_vector(disc, 8.5, 0.0, 0.0)) == pytest.approx(2.0, rel=1e-12)
    with_halo = longitude_deg(field_direction(FieldConfig(model=model), 8.5, 0.0, 0.0))
    assert abs(with_halo - (90.0 - p)) < 1.0


def test_pshirkov_bss_reverses_at_d_on_the_sun_centre_line():
    # d = -0.6 kpc: the BSS disc field vanishes 0.6 kpc inside the Sun and changes sign there
    bss = Pshirkov2011.published(bisymmetric=True, halo=False)
    r = np.array([7.8, 7.9, 8.0])
    b_r, b_phi, _ = bss.components(r, 0.0 * r, 0.0 * r)
    assert abs(b_phi[1]) < 1e-12 and abs(b_r[1]) < 1e-12
    assert np.sign(b_phi[0]) == -np.sign(b_phi[2])
    ass = Pshirkov2011.published(bisymmetric=False, halo=False)
    assert np.all(ass.components(r, 0.0 * r, 0.0 * r)[1] >= 0.0)  # ASS: along +phi everywhere


def test_pshirkov_halo_antisymmetric():
    m = Pshirkov2011.published(bisymmetric=True)
    disc = Pshirkov2011.published(bisymmetric=True, halo=False)
    up = np.array(m.components(6.0, 2.0, 1.3)) - np.array(disc.components(6.0, 2.0, 1.3))
    down = np.array(m.components(6.0, 2.0, -1.3)) - np.array(disc.components(6.0, 2.0, -1.3))
    assert up[1] == pytest.approx(-down[1]) and up[1] < 0.0  # north against the rotation
    r = np.hypot(6.0, 2.0)
    assert up[1] == pytest.approx(-4.0 * r / 8.0 * np.exp(1.0 - r / 8.0))  # B0^H at z = z0^H


def test_jansson_farrar_sun_region_and_flux_condition():
    jf = JanssonFarrar2012Disc()
    assert jf.region(8.5, 0.0) == 4  # the fifth region, b_5 = -2.0 uG
    b = jf.b_arms()
    f = np.asarray(jf.f_arms)
    assert np.sum(f * b) == pytest.approx(0.0, abs=1e-14)
    # dividing line j crosses the Sun's azimuth at r_j: regions change there
    for j, rj in enumerate(jf.r_arms_kpc[:-1]):
        inner, outer = jf.region(rj - 1e-6, 0.0), jf.region(rj + 1e-6, 0.0)
        assert (inner, outer) == (j, j + 1)
    disc = FieldConfig(model="jansson_farrar2012_disc", halo=False)
    assert longitude_deg(field_direction(disc, 8.5, 0.0, 0.0)) == pytest.approx(78.5, abs=1e-9)
    b_sun = field_direction(FieldConfig(model="jansson_farrar2012_disc"), 8.5, 0.0, 0.0)
    assert longitude_deg(b_sun) == pytest.approx(78.5, abs=0.2)  # the halo's mean at z = 0


@pytest.mark.parametrize("model", ["pshirkov2011_bss", "jansson_farrar2012_disc"])
def test_halo_in_the_plane_is_the_mean_of_its_two_sides(model):
    cfg = FieldConfig(model=model)
    disc = FieldConfig(model=model, halo=False)
    x, y = 6.0, 5.0
    halo = [field_vector(cfg, x, y, z) - field_vector(disc, x, y, z) for z in (-1e-9, 0.0, 1e-9)]
    assert np.allclose(halo[1], 0.5 * (halo[0] + halo[2]), rtol=1e-6, atol=1e-12)


def divergence_over_b(cfg, x, y, z, h=1e-4) -> float:
    """Central-difference div B / |B| (1/kpc)."""

    def comp(dx, dy, dz, i):
        return field_vector(cfg, x + dx, y + dy, z + dz)[..., i]

    div = (comp(h, 0, 0, 0) - comp(-h, 0, 0, 0) + comp(0, h, 0, 1) - comp(0, -h, 0, 1)) / (
        2 * h
    ) + (comp(0, 0, h, 2) - comp(0, 0, -h, 2)) / (2 * h)
    return float(div / np.linalg.norm(field_vector(cfg, x, y, z)))


@pytest.mark.parametrize(
    "model", ["pshirkov2011_ass", "pshirkov2011_bss", "jansson_farrar2012_disc"]
)
@pytest.mark.parametrize("point", [(8.5, 0.0, 0.0), (-3.0, 7.0, 0.3), (6.0, -6.0, -0.5)])
def test_divergence_free_where_the_model_is(model, point):
    # Pshirkov 2011 for r > R_c (amplitude ~ 1/r along field lines, pattern constant on
    # them); Jansson & Farrar 2012 inside a spiral region (their flux-conserving construction)
    cfg = FieldConfig(model=model)
    assert abs(divergence_over_b(cfg, *point)) < 1e-6


def test_pitch_override_of_a_published_model():
    cfg = FieldConfig(model="pshirkov2011_ass", pitch_angle_deg=12.0, halo=False)
    assert longitude_deg(field_direction(cfg, 8.5, 0.0, 0.0)) == pytest.approx(78.0)
