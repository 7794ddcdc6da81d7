"""Time zones for meter clocks that send local time without a UTC offset (one post-decode step).

Many wire formats carry a UTC offset (P1 ``S``/``W`` with the country of the FLAG id, DLMS
date-time deviation, SML local timestamps, TRuDI XML, Chain 2 epoch stamps). Some do not: a
DLMS date-time with deviation "not specified" (0x8000, Kamstrup and most Kaifa lists), M-Bus
type F/I date-times (EN 13757-3 Annex A: local time, no offset), naive SMGW times. Such a
clock is local time of *some* zone, and which one only the profile or the caller can say.

:func:`localise` is applied to every Reading by :func:`~smartmeter_codecs.decode`,
``decode_all``, ``inspect`` and ``StreamDecoder`` (after the decoder, before the plausibility
screen); a codec that says ``places_timestamps`` (DLMS, M-Bus) is handed a :class:`Placer` instead
and builds its Readings already placed, with the same result. For a naive ``timestamp`` it
uses, in this order:

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

from .model import Reading, Register

__all__ = ["NAIVE_NOTE", "Placer", "TzArg", "localise", "resolve_zone"]

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


def _dst_flag(registers: tuple[Register, ...], ts: _dt.datetime) -> bool | None:
    """The DST flag of the register that carried the timestamp, if the decoder kept one."""
    for reg in registers:
        if reg.value == ts and isinstance(reg.value, _dt.datetime):
            for key in ("daylight_saving", "summer_time"):
                flag = dict(reg.extra).get(key)
                if isinstance(flag, bool):
                    return flag
    return None


def _note(quality: str | None, note: str) -> str:
    return f"{quality}; {note}" if quality else note


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
    placed, quality = _place(ts, reading.quality, reading.profile, reading.registers, tz, zones)
    if placed is ts:
        return reading.replace(quality=quality)
    return reading.replace(timestamp=placed, quality=quality)


def _zone_of(profile: str | None, tz: _dt.tzinfo | None,
             zones: Mapping[str, str] | None) -> tuple[_dt.tzinfo | None, str]:
    """The zone for a naive timestamp and where it came from (None: no zone is known)."""
    if tz is not None:
        return tz, "tz="
    if zones and profile is not None and profile in zones:
        return resolve_zone(zones[profile]), f"profile {profile}"
    return None, ""


def _place(ts: _dt.datetime, quality: str | None, profile: str | None, registers: tuple[Register, ...],
           tz: _dt.tzinfo | None, zones: Mapping[str, str] | None) -> tuple[_dt.datetime, str]:
    """(timestamp, quality) of a Reading whose naive ``ts`` is placed as :func:`localise` says:
    ``ts`` itself (the same object) when it stays naive."""
    zone, source = _zone_of(profile, tz, zones)
    if zone is None:
        return ts, _note(quality, NAIVE_NOTE)
    name = _zone_name(zone)
    if type(zone) is _dt.timezone:      # a fixed offset: no fold, no gap (the common profile zone)
        return ts.replace(tzinfo=zone, fold=0), _note(quality, f"timestamp zone assumed: {name} ({source})")
    first, second = ts.replace(tzinfo=zone, fold=0), ts.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first, _note(quality, f"timestamp zone assumed: {name} ({source})")
    # The two folds differ: the wall time is either repeated (autumn) or skipped (spring).
    # A skipped time does not survive a round trip through UTC (PEP 495).
    if first.astimezone(_dt.UTC).astimezone(zone).replace(tzinfo=None) != ts:
        return ts, _note(quality, f"timestamp {ts.isoformat()} does not exist in {name} (skipped at the "
                                  f"DST change); left without UTC offset")
    dst = _dst_flag(registers, ts)
    if dst is not None:
        # fold=0 is the first pass, which is summer time (the clock goes back at the end of DST)
        return (first if dst else second), _note(quality, f"timestamp zone assumed: {name} ({source}); "
                                                          f"repeated hour resolved by the frame's DST flag")
    return first, _note(quality, f"timestamp zone assumed: {name} ({source}); repeated hour at the DST "
                                 f"change is ambiguous (no DST flag), summer time assumed")


_PLACER_MEMO = 64


class Placer:
    """:func:`localise` for one caller's ``tz=`` and one format's profile zones, done while a
    decoder builds a Reading instead of copying the Reading afterwards (issue 16: that copy was
    2 us of a 15 us DLMS decode). A decoder that places timestamps itself calls
    :meth:`place` for a naive timestamp and builds the Reading with what it returns; the
    result is exactly what ``localise`` gives for that Reading.

    Where the zone is a fixed offset or unknown, the new quality depends only on the profile
    and the quality so far, so it is remembered (bounded) per (profile, quality).
    """

    __slots__ = ("_fixed", "tz", "zones")

    def __init__(self, tz: _dt.tzinfo | None, zones: Mapping[str, str] | None) -> None:
        self.tz = tz
        self.zones = zones
        # (profile, quality so far) -> (zone or None, new quality); None: depends on the time
        self._fixed: dict[tuple[str | None, str | None], tuple[_dt.tzinfo | None, str] | None] = {}

    def place(self, ts: _dt.datetime, quality: str | None, profile: str | None,
              registers: tuple[Register, ...] = ()) -> tuple[_dt.datetime, str | None]:
        """(timestamp, quality) for a Reading with these fields: unchanged when ``ts`` is
        aware, else placed as :func:`localise` would place it."""
        if ts.tzinfo is not None:
            return ts, quality
        key = (profile, quality)
        try:
            fixed = self._fixed[key]
        except KeyError:
            zone, _ = _zone_of(profile, self.tz, self.zones)
            fixed = None
            if zone is None or type(zone) is _dt.timezone:
                fixed = (zone, _place(ts, quality, profile, registers, self.tz, self.zones)[1])
            if len(self._fixed) >= _PLACER_MEMO:
                self._fixed.clear()
            self._fixed[key] = fixed
        if fixed is None:           # a zone with DST: the placement depends on the timestamp
            return _place(ts, quality, profile, registers, self.tz, self.zones)
        zone, note = fixed
        return (ts if zone is None else ts.replace(tzinfo=zone, fold=0)), note

    def localise(self, reading: Reading) -> Reading:
        """:func:`localise` with this placer's zone and profile zones."""
        return localise(reading, self.tz, self.zones)
