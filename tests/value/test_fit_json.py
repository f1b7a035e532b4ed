"""Every fit result round-trips through JSON; bad documents are refused by path."""

from __future__ import annotations

import json
from typing import Any

import pytest

from relcore.errors import ValidationError
from relcore.value import (
    BetaGeo,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ParetoNBDFit,
    ParetoNBDParams,
    ShiftedBetaGeo,
    fit_from_json,
    fit_to_json,
)
from tests.value.conftest import Cdnow


@pytest.fixture(scope="module")
def fits(cdnow: Cdnow) -> list[Any]:
    rows = slice(0, 800)
    x, t_x, T = cdnow.frequency[rows], cdnow.recency[rows], cdnow.T[rows]
    return [
        BetaGeo().fit(x, t_x, T),
        ModifiedBetaGeo().fit(x, t_x, T),
        ParetoNBD().fit(x, t_x, T),
        GammaGamma().fit(x, cdnow.monetary[rows]),
        ShiftedBetaGeo().fit([1000, 631, 468, 382, 326, 289, 262, 241]),
        ParetoNBDFit(ParetoNBDParams(0.5, 10.0, 0.6, 12.0)),
    ]


def test_every_fit_round_trips(fits: list[Any]) -> None:
    for fit in fits:
        data = json.loads(json.dumps(fit_to_json(fit), allow_nan=False))
        assert data["model"] == type(fit).__name__.removesuffix("Fit")
        assert data["format"] == 1
        back = fit_from_json(data)
        assert type(back) is type(fit)
        assert back.params == fit.params
        assert back.standard_errors == fit.standard_errors
        assert back.iterations == fit.iterations
        assert back.log_likelihood == fit.log_likelihood or data["log_likelihood"] is None


def _good() -> dict[str, Any]:
    return fit_to_json(ParetoNBDFit(ParetoNBDParams(0.5, 10.0, 0.6, 12.0)))


@pytest.mark.parametrize(
    ("change", "paths"),
    [
        ({"model": "Weibull"}, ("model",)),
        ({"format": 2}, ("format",)),
        ({"format": True}, ("format",)),
        ({"extra": 1}, ("extra",)),
        ({"iterations": -1, "log_likelihood": "x"}, ("iterations", "log_likelihood")),
        ({"params": {"r": 0.5, "alpha": -1.0, "s": 0.6, "beta": 12.0}}, ("params.alpha",)),
        ({"params": {"r": 0.5, "alpha": 1.0, "s": 0.6}}, ("params.beta",)),
        ({"params": {"r": 0.5, "alpha": 1.0, "s": 0.6, "beta": 1.0, "a": 1.0}}, ("params.a",)),
        ({"params": [1, 2, 3, 4]}, ("params",)),
        (
            {"standard_errors": {"r": 0.1, "alpha": 0.1, "s": float("nan"), "beta": 0.1}},
            ("standard_errors.s",),
        ),
    ],
)
def test_bad_documents_are_refused_by_path(change: dict[str, Any], paths: tuple[str, ...]) -> None:
    data = _good() | change
    with pytest.raises(ValidationError) as info:
        fit_from_json(data)
    assert info.value.paths == paths


def test_missing_keys_and_non_objects_are_refused() -> None:
    data = _good()
    del data["params"]
    with pytest.raises(ValidationError) as info:
        fit_from_json(data)
    assert info.value.paths == ("params",)
    with pytest.raises(ValidationError):
        fit_from_json([])  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as info:
        fit_to_json(object())  # type: ignore[arg-type]
    assert info.value.paths == ("fit",)
