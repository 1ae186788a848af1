"""Field directions shared by the tests of the 3D operator."""

import numpy as np


def spiral_field(grid, pitch_deg=12.0, b_z=0.2):
    """A logarithmic spiral with a vertical component (unit vectors, zero on the axis)."""
    x, y, _ = grid.mesh()
    r = np.hypot(x, y)
    safe = np.where(r > 0, r, 1.0)
    p = np.radians(pitch_deg)
    v = np.stack(
        [
            (-y * np.cos(p) + x * np.sin(p)) / safe,
            (x * np.cos(p) + y * np.sin(p)) / safe,
            np.full_like(x, b_z),
        ],
        axis=-1,
    )
    v /= np.linalg.norm(v, axis=-1, keepdims=True)
    v[r == 0] = 0.0
    return v
