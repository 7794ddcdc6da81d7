"""Time zones for meter clocks that send local time without a UTC offset (one post-decode step).

Many wire formats carry a UTC offset (P1 ``S``/``W`` with the country of the FLAG id, DLMS
date-time deviation, SML local timestamps, TRuDI XML, Chain 2 epoch stamps). Some do not: a
DLMS date-time with deviation "not specified" (0x8000, Kamstrup and most Kaifa lists), M-Bus
type F/I date-times (EN 13757-3 Annex A: local time, no offset), naive SMGW times. Such a
clock is local time of *some* zone, and which one only the profile or the caller can say.

:func:`localise` is applied to every Reading by :func:`~smartmeter_codecs.decode`,
``decode_all``, ``inspect`` and ``StreamDecoder`` (after the decoder, before the plausibility
screen). For a naive ``timestamp`` it uses, in this order:

1. ``tz=`` given by the caller (an IANA name such as ``"Europe/Oslo"``, a fixed offset
   ``"+01:00"``, ``"UTC"``, or any :class:`datetime.tzinfo`);
2. the zone of the Reading's profile where the profile table settles it (a ``zone`` in the
   format's profile table, e.g. DLMS ``kamstrup-se``: Swedish meters keep UTC+01:00 all year);
3. nothing: the timestamp stays naive and ``quality`` says ``timestamp without UTC offset;
   pass tz=``. A zone is never guessed (a wrong zone shifts every interval of a series).

When a zone is applied, ``quality`` records it (``timestamp zone assumed: Europe/Oslo (tz=)``).
A timestamp that already carries an offset is never changed, and registers keep the values as
sent (lossless). Around a DST change of an IANA zone:

* the repeated autumn hour is ambiguous: the register that carried the timestamp says which
  pass it is when it has ``extra["daylight_saving"]`` or ``extra["summer_time"]`` (DLMS clock
  status bit 7, M-Bus type F/I SU bit); without such a flag the first pass (summer time,
  ``fold=0``) is taken and ``quality`` says the hour was ambiguous;
* a time in the skipped spring hour does not exist in the zone: the timestamp stays naive
  and ``quality`` says so.

This module knows no wire format (model rule).
"""
from __future__ import annotations

import datetime as _dt
import functools
import re
from collections.abc import Mapping

from .model import Reading

__all__ = ["NAIVE_NOTE", "TzArg", "localise", "resolve_zone"]

#: What ``tz=`` accepts: an IANA zone name, a fixed offset ``"+01:00"``/``"UTC"``, or a tzinfo.
TzArg = str | _dt.tzinfo | None

NAIVE_NOTE = "timestamp without UTC offset; pass tz="

_OFFSET = re.compile(r"(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?")


def resolve_zone(tz: str | _dt.tzinfo) -> _dt.tzinfo:
    """A tzinfo for ``tz``: an IANA name (``zoneinfo``), ``"UTC"``/``"Z"``, ``"+01:00"``,
    ``"UTC+1"``, or a tzinfo as is.

    Raises:
        ValueError: an unknown zone name or a malformed offset (a caller's mistake, not bad
            input from a meter).
    """
    if isinstance(tz, _dt.tzinfo):
        return tz
    if not isinstance(tz, str):
        raise TypeError(f"tz must be a zone name or a tzinfo, not {type(tz).__name__}")
    return _resolve_name(tz)


@functools.lru_cache(maxsize=256)
def _resolve_name(tz: str) -> _dt.tzinfo:
    # a profile's zone is resolved for every Reading it decodes: names are cached (bounded;
    # ZoneInfo keeps its own cache too, but the lookup and the offset regex cost microseconds)
    name = tz.strip()
    if name.upper() in ("UTC", "Z", "GMT"):
        return _dt.UTC
    m = _OFFSET.fullmatch(name)
    if m is not None:
        sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        delta = _dt.timedelta(hours=hours, minutes=minutes)
        if delta > _dt.timedelta(hours=14) or minutes >= 60:
            raise ValueError(f"time zone offset {tz!r} is outside -14:00..+14:00")
        return _dt.timezone(-delta if sign == "-" else delta)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}: give an IANA name such as 'Europe/Berlin' "
                         "or an offset such as '+01:00'") from None


def _zone_name(zone: _dt.tzinfo) -> str:
    try:
        return _cached_zone_name(zone)
    except TypeError:                    # a caller's tzinfo that is not hashable
        return _name_of(zone)


def _name_of(zone: _dt.tzinfo) -> str:
    key = getattr(zone, "key", None)     # ZoneInfo
    return str(key) if key else str(zone)


# cached: a profile's zone is named in the quality note of every Reading it localises
_cached_zone_name = functools.lru_cache(maxsize=64)(_name_of)


def _dst_flag(reading: Reading) -> bool | None:
    """The DST flag of the register that carried the timestamp, if the decoder kept one."""
    for reg in reading.registers:
        if reg.value == reading.timestamp and isinstance(reg.value, _dt.datetime):
            for key in ("daylight_saving", "summer_time"):
                flag = dict(reg.extra).get(key)
                if isinstance(flag, bool):
                    return flag
    return None


def _note(reading: Reading, note: str) -> str:
    return f"{reading.quality}; {note}" if reading.quality else note


def localise(reading: Reading, tz: _dt.tzinfo | None = None,
             zones: Mapping[str, str] | None = None) -> Reading:
    """``reading`` with a naive ``timestamp`` placed in ``tz`` or its profile's zone.

    Args:
        reading: any Reading; returned unchanged when its timestamp is absent or aware.
        tz: the caller's zone (already resolved, see :func:`resolve_zone`); wins over the profile.
        zones: profile name -> zone (as :func:`resolve_zone` reads it) for the Reading's format.
    """
    ts = reading.timestamp
    if ts is None or ts.tzinfo is not None:
        return reading
    source = "tz="
    zone = tz
    if zone is None and zones and reading.profile is not None and reading.profile in zones:
        zone = resolve_zone(zones[reading.profile])
        source = f"profile {reading.profile}"
    if zone is None:
        return reading.replace(quality=_note(reading, NAIVE_NOTE))
    name = _zone_name(zone)
    if type(zone) is _dt.timezone:      # a fixed offset: no fold, no gap (the common profile zone)
        return reading.replace(timestamp=ts.replace(tzinfo=zone, fold=0),
                               quality=_note(reading, f"timestamp zone assumed: {name} ({source})"))
    first, second = ts.replace(tzinfo=zone, fold=0), ts.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return reading.replace(timestamp=first,
                               quality=_note(reading, f"timestamp zone assumed: {name} ({source})"))
    # The two folds differ: the wall time is either repeated (autumn) or skipped (spring).
    # A skipped time does not survive a round trip through UTC (PEP 495).
    if first.astimezone(_dt.UTC).astimezone(zone).replace(tzinfo=None) != ts:
        return reading.replace(quality=_note(reading, f"timestamp {ts.isoformat()} does not exist in "
                                                      f"{name} (skipped at the DST change); left without "
                                                      f"UTC offset"))
    dst = _dst_flag(reading)
    if dst is not None:
        # fold=0 is the first pass, which is summer time (the clock goes back at the end of DST)
        chosen = first if dst else second
        return reading.replace(timestamp=chosen,
                               quality=_note(reading, f"timestamp zone assumed: {name} ({source}); "
                                                      f"repeated hour resolved by the frame's DST flag"))
    return reading.replace(timestamp=first,
                           quality=_note(reading, f"timestamp zone assumed: {name} ({source}); "
                                                  f"repeated hour at the DST change is ambiguous "
                                                  f"(no DST flag), summer time assumed"))
