"""Shared data of the value tests: the CDNOW summary of Fader, Hardie & Lee (2005)."""

from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np
import pytest

CDNOW = Path(__file__).parent.parent / "data" / "cdnow_summary.csv"


@attrs.frozen(eq=False)
class Cdnow:
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary: np.ndarray


@pytest.fixture(scope="session")
def cdnow() -> Cdnow:
    data = np.loadtxt(CDNOW, delimiter=",", skiprows=1)
    assert data.shape == (2357, 5)
    return Cdnow(frequency=data[:, 1], recency=data[:, 2], T=data[:, 3], monetary=data[:, 4])
