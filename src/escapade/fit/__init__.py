"""Fitting propagation parameters to measured data; measured-data loading.

``escapade.fit.data`` holds the registry of shipped measured tables
(``load_measurement("B/C:AMS-02")``, ``list_measurements()``) and user CSV tables.
"""

from .data import (
    DATA_DIR,
    X_KINDS,
    DataError,
    Measurement,
    list_measurements,
    list_observables,
    load_csv,
    load_measurement,
)

__all__ = [
    "DATA_DIR",
    "DataError",
    "Measurement",
    "X_KINDS",
    "list_measurements",
    "list_observables",
    "load_csv",
    "load_measurement",
]
