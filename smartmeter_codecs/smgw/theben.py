"""Theben CONEXA 3.0 consumer interface IF_GW_CON ("M2M" JSON), sans-I/O.

Source: Theben AG, *Schnittstellenbeschreibung IF_GW_CON*, version 1.4 (04.04.2020), chapters
A-2.1..A-2.7, and the 2026 field capture of firmware v3.87 (JSON version 1.3.0); see
docs/formats/smgw.md

* Discovery: ``GET /smgw/m2m`` (HTTP Digest) answers ``307`` with
  ``Location: /smgw/m2m/<userid>/json`` (A-2.1).
* Every method: ``POST /smgw/m2m/<userid>/json`` with ``{"method": ...}`` and
  ``Content-Type: application/json`` (A-2.2..A-2.7).

Request builders return the JSON body (bytes); response decoders take the parsed JSON object
and return frozen dataclasses. Almost every scalar is a JSON *string* on the wire (numbers,
scalers, booleans); both strings and native JSON types are accepted. ``readings`` carry no
scaler or unit: :func:`samples` joins them with a ``usage-point-info`` response (A-2.4).
"""
from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import UnsupportedError
from .status import FnnStatus, StatusWord, parse_status, parse_word
from .times import format_time, parse_time
from .values import (
    LAYER,
    Blob,
    LogicalName,
    Sample,
    field_error,
    get,
    hex_bytes,
    opt_str,
    parse_bool,
    parse_int,
    parse_logical_name,
    parse_scaler,
    parse_unit,
    scaled,
)

__all__ = [
    "METHODS", "DATABASES", "MAX_RANGE", "MAX_LOG_COUNT", "DISCOVERY_PATH", "json_path",
    "userid_from_location", "request", "smgw_info_request", "user_info_request",
    "usage_point_info_request", "readings_request", "log_request", "self_test_request",
    "Envelope", "FirmwareInfo", "WanCertificate", "SmgwInfo", "BillingPeriod", "UsagePoint",
    "UserInfo", "Channel", "Database", "UsagePointInfo", "MeterValue", "ReadingChannel",
    "Readings", "LogEntry", "Log", "SelfTest", "Response", "parse_response", "samples",
    "is_theben",
]

METHODS = ("smgw-info", "user-info", "usage-point-info", "readings", "log", "self-test")
#: A-2.4/A-2.6: origin = original value list, derived, calculated (TAF2 only), daily.
DATABASES = ("origin", "derived", "calculated", "daily")
#: A-2.6: at most 31 days between fromtime and totime per request.
MAX_RANGE = dt.timedelta(days=31)
#: A-2.5: at most 1500 log entries per request.
MAX_LOG_COUNT = 1500
DISCOVERY_PATH = "/smgw/m2m"
_ROOTS = {"smgw-info", "user-info", "usage-point-info", "readings", "log"}


# ---- requests ---------------------------------------------------------------------------------

def json_path(userid: str) -> str:
    """``/smgw/m2m/<userid>/json`` (the userid is percent-quoted; it looks like ``name.sm``)."""
    if not userid or "/" in userid:
        raise ValueError(f"not a Theben userid: {userid!r}")
    return f"/smgw/m2m/{urllib.parse.quote(userid, safe='.-_~')}/json"


def userid_from_location(location: str) -> str:
    """The userid from the ``Location`` of the 307 answer (relative or absolute URL)."""
    path = urllib.parse.urlsplit(location).path
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 3 and parts[0] == "smgw" and parts[1] == "m2m":
        return urllib.parse.unquote(parts[2])
    raise UnsupportedError(LAYER, None, f"redirect Location {location!r} is not /smgw/m2m/<userid>/json")


def request(method: str, **params: Any) -> bytes:
    """The JSON body of a method call (compact, UTF-8). Parameter names use ``_`` for ``-``."""
    if method not in METHODS:
        raise ValueError(f"unknown IF_GW_CON method {method!r}; known: {', '.join(METHODS)}")
    body: dict[str, Any] = {"method": method}
    for key, value in params.items():
        if value is not None:
            body[key.replace("_", "-")] = value
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def smgw_info_request() -> bytes:
    """A-2.2: HUID, firmware, status, clock and certificates of the gateway."""
    return request("smgw-info")


def user_info_request() -> bytes:
    """A-2.3: the consumer's contracts (usage points) and billing periods."""
    return request("user-info")


def _database(database: str | None, optional: bool) -> str | None:
    if database is None and optional:
        return None
    if database not in DATABASES:
        raise ValueError(f"database must be one of {', '.join(DATABASES)}, got {database!r}")
    return database


def usage_point_info_request(usage_point_id: str, database: str | None = None) -> bytes:
    """A-2.4: channels (OBIS, scaler, unit) of one contract; all databases when ``None``."""
    if not usage_point_id:
        raise ValueError("usage_point_id is required (see user-info)")
    return request("usage-point-info", usage_point_id=usage_point_id, database=_database(database, True))


def _aware_or_naive(*times: dt.datetime | None) -> None:
    present = [t for t in times if t is not None]
    if len({t.utcoffset() is None for t in present}) > 1:
        raise ValueError("fromtime and totime must both carry a zone or both be naive")


def readings_request(usage_point_id: str, database: str = "origin", *, channels: Iterable[str] | None = None,
                     last_reading: bool | None = None, fromtime: dt.datetime | None = None,
                     totime: dt.datetime | None = None) -> bytes:
    """A-2.6: values of one contract; ``fromtime`` exclusive, ``totime`` inclusive, at most 31
    days apart (the gateway answers 400 otherwise, so it is refused here first)."""
    if not usage_point_id:
        raise ValueError("usage_point_id is required (see user-info)")
    _aware_or_naive(fromtime, totime)
    if fromtime is not None and totime is not None:
        if totime <= fromtime:
            raise ValueError("totime must be after fromtime")
        if totime - fromtime > MAX_RANGE:
            raise ValueError("the gateway serves at most 31 days per readings request")
    chans = None
    if channels is not None:
        chans = []
        for c in channels:
            parse_logical_name(c, "channel")
            chans.append({"channel": c})
    return request("readings", usage_point_id=usage_point_id, database=_database(database, False),
                   channels=chans, last_reading=last_reading,
                   fromtime=format_time(fromtime) if fromtime else None,
                   totime=format_time(totime) if totime else None)


def log_request(*, fromtime: dt.datetime | None = None, totime: dt.datetime | None = None,
                fromindex: int | None = None, count: int | None = None) -> bytes:
    """A-2.5: the consumer log; ``count`` at most 1500. Allowed combinations (A-2.5):
    fromtime, totime, both, fromindex, count, fromindex+count, fromtime+count,
    fromtime+totime+count."""
    if count is not None and not 1 <= count <= MAX_LOG_COUNT:
        raise ValueError(f"count must be 1..{MAX_LOG_COUNT}")
    if fromindex is not None and fromindex < 0:
        raise ValueError("fromindex must be >= 0")
    if fromindex is not None and (fromtime is not None or totime is not None):
        raise ValueError("fromindex cannot be combined with fromtime/totime (A-2.5)")
    if totime is not None and count is not None and fromtime is None:
        raise ValueError("totime with count needs fromtime (A-2.5)")
    _aware_or_naive(fromtime, totime)
    return request("log", fromtime=format_time(fromtime) if fromtime else None,
                   totime=format_time(totime) if totime else None, fromindex=fromindex, count=count)


def self_test_request() -> bytes:
    """A-2.7: start a self test (403 if the last one ran less than 10 minutes ago)."""
    return request("self-test")


# ---- responses --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Envelope:
    """Fields every response has: ``version`` (JSON interface version, "1.2.0" in the spec,
    "1.3.0" from firmware 3.87), ``elapsed-time`` (text, e.g. "66 miliseconds") and ``method``."""

    method: str | None
    version: str | None
    elapsed_time: str | None


def _envelope(doc: Mapping[str, Any]) -> Envelope:
    return Envelope(opt_str(doc, "method", ""), opt_str(doc, "version", ""), opt_str(doc, "elapsed-time", ""))


@dataclass(frozen=True, slots=True)
class FirmwareInfo:
    component: str | None
    version: str | None
    hash: Blob | None  # SHA-256 over all packages, hex


@dataclass(frozen=True, slots=True)
class WanCertificate:
    """A certificate that signs meter values; index 0 is the Gütesiegel certificate (A-2.2)."""

    index: int | None
    sig: Blob | None      # hex DER X.509
    sub_ca: Blob | None   # its SubCA certificate


@dataclass(frozen=True, slots=True)
class SmgwInfo:
    envelope: Envelope
    smgw_id: str | None                 # DKE cross-vendor id (HUID)
    state: StatusWord | None            # smgw-state: an SMGW status word
    state_raw: str | None
    time: dt.datetime | dt.date | dt.time | None   # gateway clock; naive when sent without zone
    firmware: tuple[FirmwareInfo, ...]
    han_tls: Blob | None                # HAN TLS certificate (hex of the PEM text)
    wan: tuple[WanCertificate, ...]


def _obj(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise field_error(field, f"expected an object, got {type(value).__name__}")
    return value


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise field_error(field, f"expected an array, got {type(value).__name__}")
    return value


def _opt_time(obj: Mapping[str, Any], key: str, field: str) -> Any:
    value = obj.get(key)
    if value is None or value == "":
        return None
    return parse_time(value, f"{field}.{key}")


def _smgw_info(doc: Mapping[str, Any]) -> SmgwInfo:
    f = "smgw-info"
    info = _obj(doc[f], f)
    fw_raw = info.get("firmware-info", [])
    fw_list = fw_raw if isinstance(fw_raw, list) else [fw_raw]
    firmware = []
    for i, fw in enumerate(fw_list):
        fw = _obj(fw, f"{f}.firmware-info[{i}]")
        firmware.append(FirmwareInfo(opt_str(fw, "component", f), opt_str(fw, "version", f),
                                     Blob.of(fw.get("hash"), f"{f}.firmware-info.hash")))
    certs = _obj(info.get("certificates", {}), f"{f}.certificates")
    han = _obj(certs.get("han", {}), f"{f}.certificates.han")
    wan = []
    for i, c in enumerate(_list(certs.get("wan", []), f"{f}.certificates.wan")):
        c = _obj(c, f"{f}.certificates.wan[{i}]")
        idx = c.get("cert-index")
        wan.append(WanCertificate(None if idx is None else parse_int(idx, f"{f}.certificates.wan[{i}].cert-index"),
                                  Blob.of(c.get("sig"), f"{f}.certificates.wan[{i}].sig"),
                                  Blob.of(c.get("sub-ca"), f"{f}.certificates.wan[{i}].sub-ca")))
    state_raw = opt_str(info, "smgw-state", f)
    state = None
    if state_raw is not None and len(state_raw.strip()) == 8:
        state = parse_word(state_raw, f"{f}.smgw-state", meter=False)
    return SmgwInfo(_envelope(doc), opt_str(info, "smgw-id", f), state, state_raw,
                    _opt_time(info, "smgw-time", f), tuple(firmware),
                    Blob.of(han.get("tls"), f"{f}.certificates.han.tls"), tuple(wan))


@dataclass(frozen=True, slots=True)
class BillingPeriod:
    start: Any
    end: Any


@dataclass(frozen=True, slots=True)
class UsagePoint:
    """One contract (TAF instance) of the consumer (A-2.3)."""

    usage_point_id: str                 # full logical name, e.g. "01005e318021.taf1-1.sm"
    name: str | None                    # e.g. "taf1", field: "...BEZUG"/"...EINSP"
    taf_number: int | None
    taf_state: str | None               # "ready", "running", "archive"
    meters: tuple[str, ...]
    metering_point_id: str | None       # 33-character Zählpunkt
    delivery_id: str | None
    start_time: Any
    end_time: Any                       # None when empty (open-ended)
    capture_time: Any
    on_demand_profile_configured: bool | None
    billing_periods: tuple[BillingPeriod, ...]


@dataclass(frozen=True, slots=True)
class UserInfo:
    envelope: Envelope
    usage_points: tuple[UsagePoint, ...]


def _user_info(doc: Mapping[str, Any]) -> UserInfo:
    f = "user-info"
    body = _obj(doc[f], f)
    points = []
    for i, up in enumerate(_list(get(body, "usage-points", f), f"{f}.usage-points")):
        g = f"{f}.usage-points[{i}]"
        up = _obj(up, g)
        upid = get(up, "usage-point-id", g)
        if not isinstance(upid, str) or not upid:
            raise field_error(f"{g}.usage-point-id", f"expected a non-empty string, got {upid!r}")
        meters = []
        for j, m in enumerate(_list(up.get("meter", []), f"{g}.meter")):
            # the spec shows [{"meter-id": ...}]; a bare id string is accepted as well
            mid = m if isinstance(m, str) else opt_str(_obj(m, f"{g}.meter[{j}]"), "meter-id", f"{g}.meter[{j}]")
            if mid:
                meters.append(mid)
        periods = []
        raw_periods = up.get("billingPeriods", up.get("billing-Periods", up.get("billing-periods", [])))
        for j, bp in enumerate(_list(raw_periods, f"{g}.billingPeriods")):
            bp = _obj(bp, f"{g}.billingPeriods[{j}]")
            periods.append(BillingPeriod(_opt_time(bp, "start-time", f"{g}.billingPeriods[{j}]"),
                                         _opt_time(bp, "end-time", f"{g}.billingPeriods[{j}]")))
        taf = up.get("taf-number")
        odp = up.get("on-demand-profile-configured")
        points.append(UsagePoint(
            upid, opt_str(up, "usage-point-name", g),
            None if taf in (None, "") else parse_int(taf, f"{g}.taf-number"),
            opt_str(up, "taf-state", g), tuple(meters), opt_str(up, "metering-point-id", g),
            opt_str(up, "delivery-id", g), _opt_time(up, "start-time", g), _opt_time(up, "end-time", g),
            _opt_time(up, "capture-time", g),
            None if odp in (None, "") else parse_bool(odp, f"{g}.on-demand-profile-configured"),
            tuple(periods)))
    return UserInfo(_envelope(doc), tuple(points))


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel of a database: its OBIS logical name, scaler and DLMS unit code (A-2.4)."""

    name: LogicalName
    scaler: int
    unit: int


@dataclass(frozen=True, slots=True)
class Database:
    name: str
    channels: tuple[Channel, ...]


@dataclass(frozen=True, slots=True)
class UsagePointInfo:
    envelope: Envelope
    usage_point_id: str | None
    name: str | None
    databases: tuple[Database, ...]
    taf_profile: Blob | None        # hex CMS SignedData with the DKE-XML TAF profile
    transparency_bit: bool | None
    emts: tuple[str, ...]

    def channel(self, obis: Any, database: str | None = None) -> Channel | None:
        """The channel for an OBIS code: from ``database`` if given, else the single scaler/unit
        every database agrees on (``None`` when absent or when databases disagree)."""
        found = {(c.scaler, c.unit): c for d in self.databases if database in (None, d.name)
                 for c in d.channels if c.name.obis == obis}
        return next(iter(found.values())) if len(found) == 1 else None


def _usage_point_info(doc: Mapping[str, Any]) -> UsagePointInfo:
    f = "usage-point-info"
    body = _obj(doc[f], f)
    dbs = []
    for i, d in enumerate(_list(body.get("databases", []), f"{f}.databases")):
        g = f"{f}.databases[{i}]"
        d = _obj(d, g)
        chans = []
        for j, c in enumerate(_list(get(d, "channels", g), f"{g}.channels")):
            h = f"{g}.channels[{j}]"
            c = _obj(c, h)
            chans.append(Channel(parse_logical_name(get(c, "obis", h), f"{h}.obis"),
                                 parse_scaler(get(c, "scaler", h), f"{h}.scaler"),
                                 parse_unit(get(c, "unit", h), f"{h}.unit")))
        dbs.append(Database(opt_str(d, "database", g) or "", tuple(chans)))
    tb = body.get("transparency-bit")
    emts = tuple(str(e) for e in _list(body.get("emts", []), f"{f}.emts"))
    return UsagePointInfo(_envelope(doc), opt_str(body, "usage-point-id", f), opt_str(body, "usage-point-name", f),
                          tuple(dbs), Blob.of(body.get("taf-profile"), f"{f}.taf-profile"),
                          None if tb in (None, "") else parse_bool(tb, f"{f}.transparency-bit"), emts)


@dataclass(frozen=True, slots=True)
class MeterValue:
    """One reading of a channel (A-2.6)."""

    value: int                  # register count (exact, from the digit string)
    value_text: str
    capture_time: Any           # when the SMGW captured it
    target_time: Any            # end of the TAF period it belongs to
    status: FnnStatus | None    # cosem-status = smgw-status || meter-status
    smgw_status: StatusWord | None
    meter_status: StatusWord | None
    owner_number: str | None    # meter id (meter values) or TAF (calculated values)
    signature: bytes | None


@dataclass(frozen=True, slots=True)
class ReadingChannel:
    name: LogicalName
    values: tuple[MeterValue, ...]


@dataclass(frozen=True, slots=True)
class Readings:
    envelope: Envelope
    channels: tuple[ReadingChannel, ...]
    records: int | None


def _word(obj: Mapping[str, Any], key: str, field: str, meter: bool) -> StatusWord | None:
    value = obj.get(key)
    if value in (None, ""):
        return None
    return parse_word(value, f"{field}.{key}", meter=meter)


def _readings(doc: Mapping[str, Any]) -> Readings:
    f = "readings"
    body = _obj(doc[f], f)
    chans = []
    for i, c in enumerate(_list(get(body, "channels", f), f"{f}.channels")):
        g = f"{f}.channels[{i}]"
        c = _obj(c, g)
        name = parse_logical_name(get(c, "obis", g), f"{g}.obis")
        values = []
        for j, r in enumerate(_list(get(c, "readings", g), f"{g}.readings")):
            h = f"{g}.readings[{j}]"
            r = _obj(r, h)
            raw = get(r, "value", h)
            status = r.get("cosem-status")
            values.append(MeterValue(
                parse_int(raw, f"{h}.value"), raw.strip() if isinstance(raw, str) else str(raw),
                _opt_time(r, "capture-time", h), _opt_time(r, "target-time", h),
                None if status in (None, "") else parse_status(status, f"{h}.cosem-status"),
                _word(r, "smgw-status", h, False), _word(r, "meter-status", h, True),
                opt_str(r, "owner-number", h), hex_bytes(r.get("signature"), f"{h}.signature")))
        chans.append(ReadingChannel(name, tuple(values)))
    rec = body.get("records")
    return Readings(_envelope(doc), tuple(chans), None if rec in (None, "") else parse_int(rec, f"{f}.records"))


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One consumer-log entry (A-2.5). ``level``: 1 informational, 2 warning, 3 error, 4 alert
    per the table; the spec's own example has 6, so any integer is kept."""

    index: int | None           # "record-number" in the table, "index" in the example
    event_id: int | None
    event_sub_id: int | None
    level: int | None
    outcome: str | None
    vendor_id: str | None
    subject_identity: str | None
    user_identity: str | None
    time: Any
    message: str | None
    version: str | None


@dataclass(frozen=True, slots=True)
class Log:
    envelope: Envelope
    entries: tuple[LogEntry, ...]
    records: int | None


def _opt_int(obj: Mapping[str, Any], field: str, *keys: str) -> int | None:
    for k in keys:
        if obj.get(k) not in (None, ""):
            return parse_int(obj[k], f"{field}.{k}")
    return None


def _log(doc: Mapping[str, Any]) -> Log:
    f = "log"
    body = _obj(doc[f], f)
    entries = []
    for i, e in enumerate(_list(body.get("entries", []), f"{f}.entries")):
        g = f"{f}.entries[{i}]"
        e = _obj(e, g)
        entries.append(LogEntry(
            _opt_int(e, g, "record-number", "index"), _opt_int(e, g, "event-id"), _opt_int(e, g, "event-sub-id"),
            _opt_int(e, g, "level"), opt_str(e, "outcome", g), opt_str(e, "vendor-id", g),
            opt_str(e, "subject-identity", g), opt_str(e, "user-identity", g), _opt_time(e, "time", g),
            opt_str(e, "message", g), opt_str(e, "version", g)))
    return Log(_envelope(doc), tuple(entries), _opt_int(body, f, "records"))


@dataclass(frozen=True, slots=True)
class SelfTest:
    """The answer to ``self-test`` (A-2.7): its result goes to the log, not into the body."""

    envelope: Envelope


Response = SmgwInfo | UserInfo | UsagePointInfo | Readings | Log | SelfTest
_PARSERS: dict[str, Callable[[dict[str, Any]], Response]] = {
    "smgw-info": _smgw_info, "user-info": _user_info, "usage-point-info": _usage_point_info,
    "readings": _readings, "log": _log}


def is_theben(doc: Any) -> bool:
    """A JSON object with a known ``method`` or one of the method result keys."""
    if not isinstance(doc, dict):
        return False
    return doc.get("method") in METHODS or bool(_ROOTS.intersection(doc)) and "version" in doc


def parse_response(doc: Any) -> Response:
    """A parsed IF_GW_CON JSON response -> its typed value (FramingError naming a bad field)."""
    if not isinstance(doc, dict):
        raise field_error("", f"an IF_GW_CON response is a JSON object, got {type(doc).__name__}")
    method = doc.get("method")
    if method is None:
        method = next((k for k in _PARSERS if k in doc), None)
    if method == "self-test":
        return SelfTest(_envelope(doc))
    if method not in _PARSERS:
        raise UnsupportedError(LAYER, None, f"method {method!r} is not an IF_GW_CON method "
                               f"({', '.join(METHODS)})", {"method": method})
    if method not in doc:
        raise field_error(method, "missing (the response names the method but lacks its result)")
    return _PARSERS[method](doc)


def samples(readings: Readings, info: UsagePointInfo | None = None, *, database: str | None = None) -> list[Sample]:
    """The readings as vendor-neutral :class:`Sample` values, scaled with ``info``'s channels.

    A channel without scaler/unit (no ``info``, or the channel missing there, or databases that
    disagree) keeps ``scaler``/``unit_code``/``value`` None: the raw count is never guessed into
    a quantity. ``time`` is ``target-time`` (the TAF period end), else ``capture-time``.
    """
    out = []
    for chan in readings.channels:
        meta = info.channel(chan.name.obis, database) if info is not None else None
        for v in chan.values:
            owner = v.owner_number
            meter = chan.name.owner
            if meter is None and owner and not owner.lower().startswith("taf"):
                meter = owner[:-3] if owner.endswith(".sm") else owner
            extra: dict[str, Any] = {"capture_time": v.capture_time, "target_time": v.target_time,
                                     "owner_number": owner}
            if v.smgw_status is not None:
                extra["smgw_status"] = v.smgw_status.raw
            if v.meter_status is not None:
                extra["meter_status"] = v.meter_status.raw
            status = v.status
            if status is None and v.smgw_status is not None and v.meter_status is not None:
                status = FnnStatus(v.smgw_status.raw + v.meter_status.raw, v.smgw_status, v.meter_status)
            scaler, unit = (meta.scaler, meta.unit) if meta is not None else (None, None)
            out.append(Sample(chan.name, v.value, v.value_text, scaler, unit,
                              None if scaler is None else scaled(v.value, scaler),
                              v.target_time if v.target_time is not None else v.capture_time,
                              status, v.signature, meter, extra))
    return out
