"""Exact money: ISO 4217 currencies and their minor units.

Amounts are `Decimal` in the domain and integer minor units
(cents, yen, fils) in SQL. The table below lists the active ISO 4217 codes
with the number of digits of their minor unit, as published by the ISO 4217
maintenance agency (SIX); codes for metals, testing and special drawing rights
are left out because they are not customer money.
"""

from __future__ import annotations

from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal

from relcore._kernel.checks import decimal_value, exact_str, fail, kind

__all__ = ["CURRENCIES", "check_currency", "from_minor_units", "to_minor_units"]

_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL "
    "BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP "
    "DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR "
    "ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD "
    "MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN "
    "PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD "
    "SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED "
    "VES WST XCD XCG YER ZAR ZMW ZWG ZWL"
)

CURRENCIES: dict[str, int] = {
    code: digits
    for digits, codes in ((0, _ZERO), (2, _TWO), (3, _THREE), (4, _FOUR))
    for code in codes.split()
}
"""ISO 4217 code → number of minor-unit digits."""

MAX_MINOR_UNITS = 2**63 - 1
_MAX_DIGITS = len(str(MAX_MINOR_UNITS))

# Scaling by a power of ten is exact in this context; the ambient one may round.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


def check_currency(field: str, value: object) -> str:
    """Return ``value`` upper-cased if it is an active ISO 4217 code."""
    if not isinstance(value, str):
        raise fail(field, f"expected an ISO 4217 code, got {kind(value)}")
    code = exact_str(value).strip().upper()
    if code not in CURRENCIES:
        raise fail(field, "unknown currency; expected an active ISO 4217 code such as 'EUR'")
    return code


def to_minor_units(amount: Decimal, currency: str, *, field: str = "amount") -> int:
    """Return ``amount`` of ``currency`` as an integer count of minor units.

    Exact whatever the current `decimal` context: nothing is rounded.

    Raises:
        ValidationError: If the amount has more decimals than the currency's
            minor unit, or does not fit a signed 64-bit integer.
    """
    exponent = CURRENCIES[currency]
    value = decimal_value(field, amount)
    # Refuse huge magnitudes before scaling: 1E+999999 would overflow or take seconds.
    if value and value.adjusted() + exponent >= _MAX_DIGITS:
        raise fail(field, "amount too large to store")
    scaled = value.scaleb(exponent, context=_EXACT)
    if scaled != scaled.to_integral_value(context=_EXACT):
        raise fail(field, f"has more than {exponent} decimals, the minor unit of {currency}")
    units = int(scaled)
    if abs(units) > MAX_MINOR_UNITS:
        raise fail(field, "amount too large to store")
    return units


def from_minor_units(units: int, currency: str) -> Decimal:
    """Return the `Decimal` amount of ``units`` minor units (exact)."""
    return Decimal(units).scaleb(-CURRENCIES[currency], context=_EXACT)
