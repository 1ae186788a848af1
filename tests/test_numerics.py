"""Interpolation on log axes: exact for the functions it assumes, and its edge cases."""

import numpy as np
import pytest

from escapade.numerics.interpolation import interp_log_x, interp_positive_log


def test_a_power_law_is_exact_between_and_at_the_nodes():
    x = np.geomspace(1.0, 1e4, 9)
    xn = np.geomspace(1.3, 9e3, 50)
    assert interp_positive_log(xn, x, 3.0 * x**-2.7) == pytest.approx(3.0 * xn**-2.7, rel=1e-12)


def test_an_exponential_is_exact_with_a_linear_x_axis():
    r = np.linspace(0.0, 20.0, 11)
    rn = np.linspace(0.5, 19.5, 30)
    got = interp_positive_log(rn, r, np.exp(-r / 3.5), log_x=False)
    assert got == pytest.approx(np.exp(-rn / 3.5), rel=1e-12)


def test_non_positive_nodes_are_skipped_and_too_few_give_the_empty_value():
    x = np.geomspace(1.0, 100.0, 5)
    y = x**-2.0
    y[2] = 0.0  # an empty bin: the power law through its neighbours is still exact
    assert interp_positive_log(10.0, x, y) == pytest.approx(10.0**-2.0, rel=1e-12)
    assert interp_positive_log([2.0, 3.0], x, np.zeros(5), empty=0.0).tolist() == [0.0, 0.0]
    one = np.array([0.0, 0.0, 4.0, 0.0, 0.0])
    assert interp_positive_log(7.0, x, one) == 4.0
    assert interp_positive_log(7.0, x, one, min_points=2, empty=-1.0) == -1.0
    with pytest.raises(ValueError, match="positive values"):
        interp_positive_log(7.0, x, np.zeros(5))


def test_linear_in_log_x_holds_the_ends():
    x = np.array([1.0, 10.0, 100.0])
    y = np.array([0.0, 1.0, 2.0])
    assert interp_log_x([0.1, np.sqrt(10.0), 1e3], x, y) == pytest.approx([0.0, 0.5, 2.0])
