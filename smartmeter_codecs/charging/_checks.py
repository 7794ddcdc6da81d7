"""Configuration checks shared by Site, Charger, Dimming, CapacityState and the country rules.

Bad configuration raises ``ValueError`` when the object is built (issue 10): a NaN, an infinity
or a negative value where it has no meaning would otherwise surface later as a NaN current or an
``OverflowError`` in the middle of a control loop. A value of the wrong type is reported as
``ValueError`` too: the documented contract is "bad configuration raises ValueError".
"""
from __future__ import annotations

import math
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["check_int", "check_number", "check_zone"]


def check_number(name: str, value: object, *, allow_none: bool = True, allow_zero: bool = False,
                 allow_negative: bool = False, allow_inf: bool = False) -> None:
    """Raise ``ValueError`` unless ``value`` is a real number in the allowed domain (or allowed None)."""
    if value is None:
        if not allow_none:
            raise ValueError(f"{name} is required")
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if math.isinf(value) and not allow_inf:
        raise ValueError(f"{name} must be finite, got {value!r}")
    if allow_negative:
        return
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")


def check_int(name: str, value: object, allowed: tuple[int, ...] | None = None, *, minimum: int | None = None) -> None:
    """Raise ``ValueError`` unless ``value`` is an int (not a bool) in ``allowed`` / >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if allowed is not None and value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")


def check_zone(name: str, value: object) -> None:
    """Raise ``ValueError`` unless ``value`` is "UTC" or a zone the IANA database knows."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be an IANA zone name, got {value!r}")
    if value.upper() == "UTC":
        return
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"{name} {value!r} is not a known IANA zone ({exc})") from None
