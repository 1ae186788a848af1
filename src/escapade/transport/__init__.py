"""Transport: diffusion models, energy losses, the finite-volume operator and the solver."""
