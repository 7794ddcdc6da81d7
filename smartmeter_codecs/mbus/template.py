"""Frame templates: the M-Bus and wM-Bus fast path (issue 16, speed round 2).

A meter resends the same data header and the same DIF/VIF chain in every telegram; only the
identification, access number, status and the data fields change. Once a frame has been
decoded by the full path (:func:`~.application.parse_application` and
:func:`~.reading.telegrams_to_reading`), a *template* remembers every byte of it that the
full path reads to decide the structure (CI, the static header fields, every DIF/DIFE/VIF/VIFE,
plain-text unit, LVAR byte and filler) and, for every record, where its data field is, how
its value decodes (:func:`~.records.value_plan`, the plan the full path itself runs through
:func:`~.records.decode_data`) and the static parts of its Register (key, description,
``extra``, OBIS candidate, the typed field it feeds).

A later frame whose application data has the same length and the same bytes at every
structural position (one masked integer comparison) is, byte for byte, a frame the full path
would walk the same way: it decodes through the template with slices at fixed offsets and the
same value code, written out once as a straight-line function (:mod:`.builder`;
:meth:`Template.interpret` is the reference walk). Wired frames are matched on the bytes after
the CI; wM-Bus frames after the link layer, ELL and decryption ran as always, on the link
address and the decrypted application data. Anything else (a new layout, a compact or
MSB-first payload, security mode 7, keys on wired M-Bus, an authentication key) goes the full
path, so errors and :func:`inspect` keep coming from it.

A layout is templated the second time the full path decodes it, and only after the template
reproduced the full path's Reading of that frame (compared by ``repr``: value types too).
The store is a bounded memo (at most :data:`MAX_TEMPLATES` layouts, cleared when full),
invisible to callers: with or without a template the same bytes give the same Reading.
"""
from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable
from typing import Any

from ..errors import FramingError, IncompleteError
from ..model import Reading, Register
from ..obis import ObisCode
from ..zones import Placer
from . import vif as _vif
from .application import CI_LONG, CI_NONE, CI_SHORT, Telegram
from .builder import compile_builder
from .compact import format_signature, split_format
from .reading import (
    _OBIS_CD,
    _PHASE_FIELDS,
    _header_plan,
    _jsonable,
    _status_flags,
    static_phase,
)
from .records import _K_INT, _K_NONE, DataRecord, _lvar_length, decode_data, value_plan

__all__ = ["COMPILE_AFTER", "MAX_TEMPLATES", "Template", "decode_wired", "find", "learn", "wireless_shape"]

log = logging.getLogger(__name__)

#: At most this many layouts are remembered (the store is cleared when it is full: a receiver
#: hears a handful of meter types, a fuzzer never fills it with anything that matters).
MAX_TEMPLATES = 256
#: A template is written out as a straight-line builder after this many telegrams.
COMPILE_AFTER = 16
_PER_SHAPE = 4          # layouts with the same CI and length kept side by side

_TEMPLATE_CIS = (CI_LONG, CI_SHORT, CI_NONE)
_HEADER = {CI_LONG: 12, CI_SHORT: 4, CI_NONE: 0}
# bytes of the data header that change from telegram to telegram (ident, access number,
# status): not part of the layout. Manufacturer, version, medium and configuration are.
_DYNAMIC_HEADER = {CI_LONG: (0, 1, 2, 3, 8, 9), CI_SHORT: (0, 1), CI_NONE: ()}

_new = tuple.__new__
# how a record's value is read: the commonest plans of records.decode_data inlined (type B
# integer scaled by 10^n; type B integer as is; no data), the special DIFs 0F/1F (the rest of
# the payload as bytes) and 7F (no data), else records.decode_data itself
_INT_SCALED, _INT_RAW, _SPECIAL_DATA, _SPECIAL_NONE, _PLAN, _NO_DATA = _KINDS = range(6)

# (shape, length) -> templates; a bounded memo (see the module docstring)
_store: dict[tuple[Any, int], tuple[Template, ...]] = {}
# layouts decoded once (shape, length, structural bytes): templated when seen again
_seen: dict[tuple[Any, int, int], None] = {}


class Template:
    """The layout of one kind of telegram (see the module docstring)."""

    __slots__ = (
        "authenticated",
        "build",
        "ci",
        "electricity",
        "expected",
        "fmt",
        "header",
        "learned",
        "mask",
        "more",
        "records",
        "size",
        "uses",
    )

    def __init__(self, ci: int, size: int, mask: int, expected: int, records: tuple[tuple[Any, ...], ...],
                 header: tuple[Any, ...], electricity: bool, more: bool,
                 learned: tuple[int, bytes] | None, fmt: str, authenticated: bool | None) -> None:
        self.ci = ci
        self.size = size
        self.mask = mask
        self.expected = expected
        self.records = records
        self.header = header
        self.electricity = electricity
        self.more = more
        self.learned = learned          # (signature, DIB+VIB bytes) FormatStore.learn keeps
        self.fmt = fmt
        self.authenticated = authenticated      # Reading.authenticated (False: decrypted, no MAC)
        self.build: Callable[..., Reading] | None = None     # interpret, written out (.builder)
        self.uses = 0       # telegrams interpreted so far (approximate under threads: harmless)

    def reading(self, body: bytes, placer: Placer | None = None) -> Reading:
        """The Reading of application data ``body`` (the bytes after the CI) of this layout;
        with a ``placer``, its timestamp placed in its zone as api.finish would (zones.Placer)."""
        build = self.build
        if build is not None:
            return build(body, placer)
        self.uses += 1
        if self.uses == COMPILE_AFTER and self.compile(body):
            return self.build(body, placer)     # type: ignore[misc]
        return self.interpret(body, placer)

    def compile(self, body: bytes) -> bool:
        """Write :meth:`interpret` out as a straight-line builder (:mod:`.builder`), kept when
        it gives the same Reading for ``body`` (a telegram of this layout). Done once a layout
        has been read :data:`COMPILE_AFTER` times: compiling costs a few milliseconds, which a
        short capture with a layout seen twice would never win back."""
        build = compile_builder(self, _KINDS, _NO_EXTRA, _STATUS_FLAGS)
        if build is not None and repr(build(body)) == repr(self.interpret(body)):
            self.build = build
            return True
        log.debug("M-Bus layout of CI 0x%02X, %d bytes: interpreted (no builder)", self.ci, self.size)
        return False

    def interpret(self, body: bytes, placer: Placer | None = None) -> Reading:
        """:meth:`reading` by walking the record list (the reference for the builder)."""
        registers: list[Register] = []
        append = registers.append
        ident_at, static_regs, medium, model, access_at = self.header
        meter_id = None
        if ident_at is not None:
            meter_id = body[ident_at:ident_at + 4][::-1].hex().upper()
        if medium is not None:
            registers += static_regs
            append(_new(Register, ("mbus:header.medium", medium[0], None, None, "Device type (medium)",
                                   {"code": medium[1]})))
        if access_at is not None:
            status = body[access_at + 1]
            append(_new(Register, ("mbus:header.access_no", body[access_at], None, None, "Access number",
                                   _NO_EXTRA)))
            append(_new(Register, ("mbus:header.status", status, None, None, "Status byte",
                                   _STATUS_FLAGS[status].copy())))
        fields: dict[str, Any] = {}
        sums: dict[str, Any] = {}
        timestamp = None
        used: set[ObisCode] = set()
        from_bytes = int.from_bytes
        int_scaled, int_raw, special_data, special_none, no_data = (_INT_SCALED, _INT_RAW, _SPECIAL_DATA,
                                                                    _SPECIAL_NONE, _NO_DATA)
        raw: Any
        value: Any
        for (ds, de, fast, arg, key, static, description, tail, usable, obis, action, stamp) in self.records:
            data = body[ds:de]
            extra: dict[str, Any] = static.copy()      # the same keys, in the same order, as
            extra["data"] = data.hex()                 # record_register gives
            extra["telegram"] = 0
            invalid = False
            if fast == int_scaled:
                # records.decode_data of a type B integer with a plain 10^n scale, inlined
                signed, factor, p_int, q_int, unit = arg
                raw = from_bytes(data, "little", signed=signed)
                value = raw * factor * p_int if q_int is None else raw * factor / q_int
                if raw is not value:
                    extra["raw"] = raw          # reading._jsonable of an int is the int
            elif fast == int_raw:
                signed, unit = arg
                value = from_bytes(data, "little", signed=signed)
            elif fast == special_data:
                value = data
                unit = None
            elif fast == special_none:
                value = unit = None
            elif fast == no_data:
                value = None            # data field 0 (no data) or 8 (selection): records.decode_data
                unit = arg
            else:
                raw, value, unit, invalid = decode_data(arg, data)
                if raw is not None and raw is not value:
                    extra["raw"] = _jsonable(raw)
            if tail is not None:
                combinable, mfr, more, table = tail
                if combinable is not None:
                    extra["combinable"] = list(combinable)
                if mfr:
                    extra["manufacturer_vifes"] = mfr
                if invalid:
                    extra["invalid"] = True
                if more:
                    extra["more_records_follow"] = True
                if table:
                    extra["table"] = table
            elif invalid:
                extra["invalid"] = True
            code = None
            if usable and not invalid and isinstance(value, (int, float)) and not isinstance(value, bool):
                if obis is not None and obis not in used:
                    used.add(obis)
                    code = obis
                if action is not None:
                    name, tariff_sum = action
                    if tariff_sum:
                        sums[name] = sums.get(name, 0) + value
                    else:
                        fields.setdefault(name, value)
            if stamp and timestamp is None and isinstance(value, _dt.datetime):
                timestamp = value
            append(_new(Register, (key, value, unit, code, description, extra)))
        for name, total in sums.items():
            fields.setdefault(name, total)
        regs = tuple(registers)
        quality = None
        if placer is not None and timestamp is not None:
            timestamp, quality = placer.place(timestamp, None, None, regs)
        return Reading(format=self.fmt, timestamp=timestamp, meter_id=meter_id, meter_model=model,
                       authenticated=self.authenticated, quality=quality, registers=regs, **fields)


_NO_EXTRA = Register("x", None).extra     # the default extra of a Register (read-only, empty)
# reading._status_flags of every status byte (copied for each Register: its extra is the caller's)
_STATUS_FLAGS = tuple(_status_flags(status) for status in range(256))


def find(shape: Any, body: bytes) -> Template | None:
    """The template whose layout ``body`` has, or None. ``shape`` is the CI of a wired frame
    (``body``: the application data after it), or :func:`wireless_shape` of a wM-Bus frame."""
    found = _store.get((shape, len(body)))
    if found is None:
        return None
    value = int.from_bytes(body, "little")
    for t in found:
        if value & t.mask == t.expected:
            return t
    return None


def wireless_shape(ci: int, decrypted: bool) -> tuple[str, int, bool]:
    """The store key of a wM-Bus layout: its body is the link address M+A (8 bytes) followed
    by the application data after CI ``ci``, decrypted; ``decrypted`` tells the Reading's
    ``authenticated`` (False after decryption without a verified MAC)."""
    return ("wmbus", ci, decrypted)


def decode_wired(data: bytes, placer: Placer | None = None) -> Reading | None:
    """The Reading of ``data`` when it is exactly one checksum-valid long frame of a known
    layout that ``MBusCodec.decode_all`` would read as that one frame; else None (the caller
    takes the full path)."""
    n = len(data)
    if n < 10 or data[0] != 0x68 or data[3] != 0x68 or data[n - 1] != 0x16:
        return None
    length = data[1]
    if length != data[2] or length + 6 != n or sum(data[4:n - 2]) & 0xFF != data[n - 2]:
        return None
    # the full path splits with LinkFrameSplitter, which would prefer a long frame inside this
    # one that ends before it (candidates are decided in the order they end): any 68 L L 68
    # header inside that could end earlier sends the frame the full path
    j = data.find(b"\x68", 1, n - 9)
    while j >= 0:
        inner = data[j + 1]
        if data[j + 3] == 0x68 and inner == data[j + 2] and j + inner + 6 < n:
            return None
        j = data.find(b"\x68", j + 1, n - 9)
    t = find(data[6], data[7:n - 2])
    if t is None or t.fmt != "mbus":
        return None
    return t.reading(data[7:n - 2], placer)


def learn(shape: Any, ci: int | None, body: bytes, base: int, tg: Telegram, reading: Reading, fmt: str,
          prefix: int = 0) -> Template | None:
    """Remember the layout of a frame the full path decoded alone: ``body`` (a wired frame's
    application data after CI ``ci``; for wM-Bus the 8 link address bytes first, ``prefix``
    = 8, and the payload decrypted), ``body[prefix]`` at input offset ``base``, its Telegram
    ``tg`` and its Reading.

    Only CI 72/78/7A frames without a security mode or decrypted with mode 5 (or ELL) and no
    MAC, whose Reading the template reproduces, are kept. Returns the template or None.
    """
    if ci not in _TEMPLATE_CIS or tg.decrypted_by_receiver or tg.authenticated is not None:
        return None
    mode = tg.header.security_mode
    if not (mode == 0 or (mode == 5 and tg.decrypted)) or (tg.encrypted and not tg.decrypted):
        return None
    body = bytes(body)
    try:
        mask = _layout_mask(ci, body, base - prefix, tg, prefix)
    except _NotTemplated:
        return None
    # a layout is templated the second time it is decoded: a sender whose layout changes
    # every telegram (a text of varying length...) does not pay for templates it never uses
    seen = (shape, len(body), int.from_bytes(body, "little") & mask)
    if seen not in _seen:
        if len(_seen) >= MAX_TEMPLATES:
            _seen.clear()
        _seen[seen] = None
        return None
    if len(_store) >= MAX_TEMPLATES:
        _store.clear()
    try:
        t = _build(ci, body, base - prefix, tg, fmt, prefix, reading.authenticated, mask)
    except _NotTemplated:
        return None
    # repr, not ==: 1 == 1.0 == True, and a register's value type is part of the Reading
    want = repr(reading)
    if t is None or repr(t.interpret(body)) != want:
        log.debug("M-Bus layout of CI 0x%02X, %d bytes: not templated (the template does not reproduce it)",
                  ci, len(body))
        return None
    key = (shape, len(body))
    _store[key] = (t, *_store.get(key, ())[:_PER_SHAPE - 1])
    return t


class _NotTemplated(Exception):
    """A record the template cannot express (the frame keeps the full path)."""


def _layout_mask(ci: int, body: bytes, base: int, tg: Telegram, prefix: int) -> int:
    """0xFF at every byte of ``body`` that the layout fixes, 0x00 at the others (little-endian
    integer): the ident, access number and status (and the link address of a wM-Bus frame
    with a long header: the sender is in that header), and every record's data field."""
    if tg.header.security_mode == 7 or ci not in _HEADER:
        raise _NotTemplated
    mask = bytearray(b"\xff" * len(body))
    dynamic = [prefix + i for i in _DYNAMIC_HEADER[ci]]
    if prefix and ci == CI_LONG:
        dynamic += range(prefix)
    elif prefix:
        dynamic += (2, 3, 4, 5)
    for i in dynamic:
        mask[i] = 0
    payload_at = prefix + _HEADER[ci]
    for rec in tg.records:
        ds, de = rec.end - len(rec.data) - base, rec.end - base
        if not payload_at <= ds <= de <= len(body) or body[ds:de] != rec.data:
            raise _NotTemplated
        mask[ds:de] = bytes(de - ds)
    return int.from_bytes(mask, "little")


def _build(ci: int, body: bytes, base: int, tg: Telegram, fmt: str, prefix: int,
           authenticated: bool | None, mask: int) -> Template | None:
    payload_at = prefix + _HEADER[ci]
    records = []
    address = tg.address
    electricity = address is not None and address.medium == 0x02
    manufacturer = address.manufacturer if address is not None else None
    seen: dict[str, int] = {}
    for rec in tg.records:
        ds, de = rec.end - len(rec.data) - base, rec.end - base
        key, static, combinable, mfr, description = _header_plan((
            rec.dif, rec.difes, rec.vif, rec.vifes, rec.plain_text, rec.data_type, rec.function,
            rec.storage, rec.tariff, rec.subunit, rec.info, rec.combinables, rec.manufacturer_vifes,
            rec.extension_table))
        n = seen.get(key, 0) + 1
        seen[key] = n
        if n > 1:
            key = f"{key}#{n}"
        fast, arg = _value_reader(rec, body, base)
        usable, phase = static_phase(rec, manufacturer) if electricity else (False, None)
        obis = action = None
        if usable:
            obis = _obis(rec, phase)
            action = _action(rec, phase)
        stamp = (rec.info.key == "datetime" and rec.storage == 0 and rec.function == "instantaneous"
                 and not rec.combinables)
        more = rec.data_type == "more_records_follow"
        tail = None
        if combinable is not None or mfr or more or rec.extension_table:
            tail = (combinable, mfr, more, rec.extension_table)
        records.append((ds, de, fast, arg, key, static, description, tail, usable, obis, action, stamp))
    # where the Reading's meter_id and access number come from (the long header, else the
    # wM-Bus link address); the address fields that are part of the layout give the rest
    ident_at = prefix if ci == CI_LONG else (2 if prefix else None)
    access_at = {CI_LONG: prefix + 8, CI_SHORT: prefix}.get(ci)
    medium = model = None
    static_regs: tuple[Register, ...] = ()
    if address is not None:
        if address.manufacturer:
            static_regs = (Register("mbus:header.manufacturer", address.manufacturer, None, None, "Manufacturer"),
                           Register("mbus:header.version", address.version, None, None, "Version"))
        if address.manufacturer and address.manufacturer_id:
            model = f"{address.manufacturer} v{address.version} ({_vif.MEDIUM.get(address.medium, 'unknown medium')})"
        medium = (_vif.MEDIUM.get(address.medium, f"0x{address.medium:02X}"), address.medium)
    if (ident_at is None) != (address is None) or (access_at is None) != (tg.header.access_no is None):
        raise _NotTemplated
    header = (ident_at, static_regs, medium, model, access_at)
    try:
        fmt_bytes, _ = split_format(body[payload_at:], base + payload_at)
        learned = (format_signature(fmt_bytes), fmt_bytes) if fmt_bytes else None
    except (FramingError, IncompleteError):    # FormatStore.learn gives up the same way
        learned = None
    return Template(ci, len(body), mask, int.from_bytes(body, "little") & mask, tuple(records), header,
                    electricity, tg.more_records_follow, learned, fmt, authenticated)


def _value_reader(rec: DataRecord, body: bytes, base: int) -> tuple[int, Any]:
    """(how, argument) to read a record's value (see _INT_SCALED...)."""
    if rec.special is not None:
        if rec.data_type in ("manufacturer_data", "more_records_follow"):
            return _SPECIAL_DATA, None
        if rec.data_type == "global_readout":
            return _SPECIAL_NONE, None
        raise _NotTemplated
    lvar_kind = None
    if rec.data_type == "lvar":
        lvar_kind = _lvar_length(body[rec.vif_end - base], 0)[1]
    plan = value_plan(rec.info, rec.combinables, rec.data_type, lvar_kind, False)
    kind, msb_first, numeric, scale, unit_kept, unit_none, signed, _lvar, is_date = plan
    if kind == _K_NONE:
        return _NO_DATA, unit_none
    if kind == _K_INT and not msb_first and not (is_date and len(rec.data) in (2, 3, 4, 6)):
        if not numeric:
            return _INT_RAW, (signed, unit_kept)
        if scale[0] == 2 and not scale[7]:
            _, factor, _exp, p_int, q_int, _pf, _qf, _adds = scale
            return _INT_SCALED, (signed, factor, p_int, q_int, unit_kept)
    return _PLAN, plan


def _obis(rec: DataRecord, phase: int | None) -> ObisCode | None:
    """reading._obis_for for a usable record."""
    cd = _OBIS_CD.get((rec.info.key, "export" if rec.direction == "export" else "import", phase))
    if cd is None or (rec.tariff and cd[1] != 8) or rec.tariff > 63:
        return None
    return ObisCode(1, 0, cd[0], cd[1], rec.tariff, 255)


def _action(rec: DataRecord, phase: int | None) -> tuple[str, bool] | None:
    """What reading._electricity_fields does with a usable record: (field, summed per tariff)."""
    key = rec.info.key
    direction = "export" if rec.direction == "export" else "import"
    if key in ("energy", "reactive_energy") and phase is None:
        return f"{'active' if key == 'energy' else 'reactive'}_energy_{direction}", rec.tariff != 0
    if rec.tariff != 0:
        return None
    if key == "power":
        if phase is None:
            return f"active_power_{direction}", False
        if phase in _PHASE_FIELDS:
            return f"active_power_{direction}_{_PHASE_FIELDS[phase]}", False
        return None
    if key == "reactive_power" and phase is None:
        return f"reactive_power_{direction}", False
    if key in ("voltage", "current") and phase in _PHASE_FIELDS:
        return f"{key}_{_PHASE_FIELDS[phase]}", False
    if key == "frequency" and phase is None:
        return "frequency", False
    return None
