"""Plain numerics shared by every layer: interpolation on log axes, energy quadrature."""
