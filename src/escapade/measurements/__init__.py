"""Measured cosmic-ray data: the shipped tables by name, user CSV tables, the Measurement type.

    from escapade.measurements import load_measurement, list_measurements
    m = load_measurement("B/C:AMS-02")

:mod:`~escapade.measurements.registry` names the shipped tables (and documents the
naming rules), :mod:`~escapade.measurements.formats` and
:mod:`~escapade.measurements.composite` read them, :mod:`~escapade.measurements.user_tables`
reads user CSV files, :mod:`~escapade.measurements.measurement` holds the record.
"""

from .measurement import X_KINDS, DataError, Measurement
from .registry import list_measurements, list_observables, load_measurement
from .tables import DATA_DIR
from .user_tables import load_csv

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
