"""Fitted value models to and from JSON-ready dicts, so a model fitted tonight scores tomorrow.

Every fit result of [`relcore.value`][] has the same shape, tagged with its
model name and a format version:

    {"model": "ParetoNBD", "format": 1,
     "params": {"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67},
     "log_likelihood": -9594.97, "standard_errors": {...} or null, "iterations": 19}

``log_likelihood`` is ``null`` for a model that was given rather than fitted
(JSON has no NaN). Reading is strict: an unknown model or format, a missing
or extra key, or a parameter that is not a positive finite number is refused
with one [`ValidationError`][relcore.errors.ValidationError] listing every problem by path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from relcore.errors import FieldError, ValidationError
from relcore.value.models.beta_geo import BetaGeoFit, BetaGeoParams
from relcore.value.models.gamma_gamma import GammaGammaFit, GammaGammaParams
from relcore.value.models.modified_beta_geo import ModifiedBetaGeoFit, ModifiedBetaGeoParams
from relcore.value.models.pareto_nbd import ParetoNBDFit, ParetoNBDParams
from relcore.value.models.shifted_beta_geo import ShiftedBetaGeoFit, ShiftedBetaGeoParams

__all__ = ["FORMAT_VERSION", "ValueFit", "fit_from_json", "fit_to_json"]

#: The version written by [`fit_to_json`][relcore.value.fit_to_json];
#: [`fit_from_json`][relcore.value.fit_from_json] reads this one only.
FORMAT_VERSION = 1

#: Any fit result of [`relcore.value`][].
ValueFit = BetaGeoFit | ModifiedBetaGeoFit | ParetoNBDFit | GammaGammaFit | ShiftedBetaGeoFit

_MODELS: dict[str, tuple[type[Any], type[Any]]] = {
    "BetaGeo": (BetaGeoFit, BetaGeoParams),
    "ModifiedBetaGeo": (ModifiedBetaGeoFit, ModifiedBetaGeoParams),
    "ParetoNBD": (ParetoNBDFit, ParetoNBDParams),
    "GammaGamma": (GammaGammaFit, GammaGammaParams),
    "ShiftedBetaGeo": (ShiftedBetaGeoFit, ShiftedBetaGeoParams),
}
_KEYS = ("model", "format", "params", "log_likelihood", "standard_errors", "iterations")


def fit_to_json(fit: ValueFit) -> dict[str, Any]:
    """Return ``fit`` as a dict of JSON types (``json.dumps`` takes it as is).

    Example:
        >>> import json
        >>> from relcore.value import BetaGeoFit, BetaGeoParams
        >>> fit = BetaGeoFit(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
        >>> text = json.dumps(fit_to_json(fit))
        >>> print(text[:72])
        {"model": "BetaGeo", "format": 1, "params": {"r": 0.243, "alpha": 4.414,
        >>> print(fit_from_json(json.loads(text)).params)
        BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    """
    names = [name for name, (fit_class, _) in _MODELS.items() if type(fit) is fit_class]
    if not names:
        raise ValidationError.single(
            "fit", f"must be a fit result of relcore.value, not {type(fit).__name__}"
        )
    model = names[0]
    errors = fit.standard_errors
    return {
        "model": model,
        "format": FORMAT_VERSION,
        "params": {k: float(v) for k, v in attrs.asdict(fit.params).items()},
        "log_likelihood": None if math.isnan(fit.log_likelihood) else float(fit.log_likelihood),
        "standard_errors": None if errors is None else {k: float(v) for k, v in attrs.asdict(errors).items()},
        "iterations": int(fit.iterations),
    }


def fit_from_json(data: Mapping[str, Any]) -> ValueFit:
    """Rebuild a fit result from [`fit_to_json`][relcore.value.fit_to_json]'s dict, checking every field.

    Raises:
        ValidationError: Listing every problem, with paths such as
            ``"params.alpha"`` or ``"format"``.
    """
    if not isinstance(data, Mapping):
        raise ValidationError.single("", f"must be a JSON object, not {type(data).__name__}")
    problems: list[FieldError] = []
    for key in _KEYS:
        if key not in data:
            problems.append(FieldError(key, "is missing"))
    problems.extend(FieldError(str(key), "is not a known field") for key in data if key not in _KEYS)
    model = data.get("model")
    if "model" in data and model not in _MODELS:
        problems.append(FieldError("model", f"must be one of {', '.join(sorted(_MODELS))}, not {model!r}"))
    version = data.get("format")
    if "format" in data and (type(version) is not int or version != FORMAT_VERSION):
        problems.append(FieldError("format", f"must be {FORMAT_VERSION}, not {version!r}"))
    iterations = data.get("iterations")
    if "iterations" in data and (type(iterations) is not int or iterations < 0):
        problems.append(FieldError("iterations", f"must be a whole number >= 0, not {iterations!r}"))
    log_likelihood = data.get("log_likelihood")
    if log_likelihood is not None and not _finite(log_likelihood):
        problems.append(
            FieldError("log_likelihood", f"must be a finite number or null, not {log_likelihood!r}")
        )
    if problems or not isinstance(model, str):
        raise ValidationError(problems)
    fit_class, params_class = _MODELS[model]
    names = [field.name for field in attrs.fields(params_class)]
    params = _numbers("params", data["params"], names, problems, positive=True)
    errors = None
    if data["standard_errors"] is not None:
        errors = _numbers("standard_errors", data["standard_errors"], names, problems, positive=False)
    if problems:
        raise ValidationError(problems)
    return fit_class(  # type: ignore[no-any-return]
        params=params_class(**params),
        log_likelihood=math.nan if log_likelihood is None else float(log_likelihood),
        standard_errors=None if errors is None else params_class(**errors),
        iterations=iterations,
    )


def _finite(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value)  # type: ignore[arg-type]


def _numbers(
    path: str, value: object, names: list[str], problems: list[FieldError], *, positive: bool
) -> dict[str, float]:
    if not isinstance(value, Mapping):
        problems.append(FieldError(path, f"must be an object with keys {', '.join(names)}"))
        return {}
    out = {}
    for name in names:
        if name not in value:
            problems.append(FieldError(f"{path}.{name}", "is missing"))
        elif not (_finite(value[name]) and (value[name] > 0 if positive else value[name] >= 0)):
            problems.append(
                FieldError(
                    f"{path}.{name}",
                    f"must be a finite number {'> 0' if positive else '>= 0'}, not {value[name]!r}",
                )
            )
        else:
            out[name] = float(value[name])
    problems.extend(FieldError(f"{path}.{key}", "is not a known field") for key in value if key not in names)
    return out
