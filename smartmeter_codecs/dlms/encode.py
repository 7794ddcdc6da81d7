"""Reading -> data-notification -> (optional AES-GCM) -> LLC + HDLC: a HAN-port simulator.

Profiles (the list layouts a Norwegian HAN port sends):

* ``aidon`` (default, also ``generic``): ``array of structure{OBIS, value, scaler-unit}`` -
  every value carries its scaler and unit, so any decoder reads it without conventions.
* ``kamstrup``: ``structure{"Kamstrup_V0001", OBIS, value, OBIS, value, ...}`` with the
  Kamstrup conventions (0.01 A, 10 Wh) and the header date-time untagged, as Kamstrup sends.
* ``kaifa``: the value-only KFM_001 list 1, 2 or 3 (chosen by which fields are set), mA/dV.

Values are rounded to the resolution of the list (e.g. 0.01 A); the decoder gives back the
rounded value. Only the fields of the Reading are encoded (not ``registers``). ``tariff`` is
sent as the IDIS/DSMR "currently active tariff" register 0-0:96.14.0.255 (visible-string), which
the decoder maps back to ``tariff``; the value-only ``kaifa`` lists have no place for it
(ValueError), and neither has a tariff of digits only (the decoder names tariff ``2`` "T2").
"""
from __future__ import annotations

import datetime as _dt
import math

from ..keys import Keys, KeysArg, resolve_keys
from ..model import Reading
from ..obis import ObisCode
from . import security
from .axdr import encode_data
from .cosem_time import build_datetime
from .hdlc import build_frame

__all__ = ["encode_reading", "build_notification", "FIELD_CODES"]

# Reading field -> (OBIS, DLMS unit code, scaler for aidon-style lists)
FIELD_CODES: dict[str, tuple[str, int, int]] = {
    "active_power_import": ("1-0:1.7.0.255", 27, 0), "active_power_export": ("1-0:2.7.0.255", 27, 0),
    "reactive_power_import": ("1-0:3.7.0.255", 29, 0), "reactive_power_export": ("1-0:4.7.0.255", 29, 0),
    "active_power_import_l1": ("1-0:21.7.0.255", 27, 0), "active_power_import_l2": ("1-0:41.7.0.255", 27, 0),
    "active_power_import_l3": ("1-0:61.7.0.255", 27, 0), "active_power_export_l1": ("1-0:22.7.0.255", 27, 0),
    "active_power_export_l2": ("1-0:42.7.0.255", 27, 0), "active_power_export_l3": ("1-0:62.7.0.255", 27, 0),
    "current_l1": ("1-0:31.7.0.255", 33, -2), "current_l2": ("1-0:51.7.0.255", 33, -2),
    "current_l3": ("1-0:71.7.0.255", 33, -2), "voltage_l1": ("1-0:32.7.0.255", 35, -1),
    "voltage_l2": ("1-0:52.7.0.255", 35, -1), "voltage_l3": ("1-0:72.7.0.255", 35, -1),
    "frequency": ("1-0:14.7.0.255", 44, -2), "power_factor": ("1-0:13.7.0.255", 255, -3),
    "active_energy_import": ("1-0:1.8.0.255", 30, 0), "active_energy_export": ("1-0:2.8.0.255", 30, 0),
    "reactive_energy_import": ("1-0:3.8.0.255", 32, 0), "reactive_energy_export": ("1-0:4.8.0.255", 32, 0),
}
# IDIS / DSMR "currently active tariff" (interpret.py maps it to Reading.tariff)
_TARIFF_CODE = "0-0:96.14.0.255"
_KAMSTRUP_SCALERS = {33: -2, 35: 0, 27: 0, 29: 0, 30: 1, 32: 1, 44: -2, 255: -2}
_KAIFA_SCALERS = {33: -3, 35: -1, 27: 0, 29: 0, 30: 0, 32: 0}
_KAIFA_LIST2 = ("active_power_import", "active_power_export", "reactive_power_import", "reactive_power_export",
                "current_l1", "current_l2", "current_l3", "voltage_l1", "voltage_l2", "voltage_l3")
_KAIFA_ENERGY = ("active_energy_import", "active_energy_export", "reactive_energy_import", "reactive_energy_export")


def _int_value(value: float, scaler: int) -> int:
    return int(round(value / 10.0 ** scaler)) if scaler else int(round(value))


def _number(value: float, scaler: int) -> bytes:
    """Smallest fitting signed/unsigned A-XDR integer for value / 10**scaler."""
    n = _int_value(value, scaler)
    if n >= 0:
        if n <= 0xFFFF:
            return encode_data(18, n)
        if n <= 0xFFFFFFFF:
            return encode_data(6, n)
        return encode_data(21, n)
    if n >= -0x8000:
        return encode_data(16, n)
    if n >= -0x80000000:
        return encode_data(5, n)
    return encode_data(20, n)


def _obis(code: str) -> bytes:
    return encode_data(9, ObisCode.parse(code).to_bytes())


def _text(value: str) -> bytes:
    return encode_data(10, value)


def build_notification(reading: Reading, profile: str | None = None, invoke_id: int = 0x40000000) -> bytes:
    """The plaintext data-notification APDU for a Reading."""
    profile = profile or "aidon"
    dt = build_datetime(reading.timestamp) if reading.timestamp is not None else None
    fields = [(name, getattr(reading, name)) for name in FIELD_CODES if getattr(reading, name) is not None]
    for name, value in fields:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number to encode, got {value!r}")
    tariff = reading.tariff
    if tariff is not None and (not isinstance(tariff, str) or not tariff or tariff.isdigit()):
        raise ValueError(f"tariff must be a non-empty text that is not only digits (e.g. 'T2'), got {tariff!r}")
    head = bytes((0x0F,)) + invoke_id.to_bytes(4, "big")
    if profile in ("aidon", "generic"):
        items = []
        if reading.meter_id is not None:
            items.append(encode_data(2, [_obis("0-0:96.1.0.255"), _text(reading.meter_id)]))
        if reading.meter_model is not None:
            items.append(encode_data(2, [_obis("0-0:96.1.7.255"), _text(reading.meter_model)]))
        for name, value in fields:
            code, unit, scaler = FIELD_CODES[name]
            su = encode_data(2, [(15, scaler), (22, unit)])
            items.append(encode_data(2, [_obis(code), _number(value, scaler), su]))
        if tariff is not None:
            items.append(encode_data(2, [_obis(_TARIFF_CODE), _text(tariff)]))
        body = encode_data(1, items)
        return head + (b"\x09\x0c" + dt if dt else b"\x00") + body
    if profile in ("kamstrup", "kamstrup-se"):
        scalers = dict(_KAMSTRUP_SCALERS)
        if profile == "kamstrup-se":
            scalers[30] = scalers[32] = 0
        items = [_text("Kamstrup_V0001")]
        if reading.meter_id is not None:
            items += [_obis("1-1:0.0.5.255"), _text(reading.meter_id)]
        if reading.meter_model is not None:
            items += [_obis("1-1:96.1.1.255"), _text(reading.meter_model)]
        for name, value in fields:
            code, unit, _ = FIELD_CODES[name]
            items += [_obis(code.replace("1-0:", "1-1:")), _number(value, scalers.get(unit, 0))]
        if tariff is not None:
            items += [_obis(_TARIFF_CODE), _text(tariff)]
        body = encode_data(2, items)
        return head + (b"\x0c" + dt if dt else b"\x00") + body   # Kamstrup: date-time without tag
    if profile == "kaifa":
        if tariff is not None:
            raise ValueError("the kaifa lists (KFM_001) carry no tariff; use profile 'aidon' or 'kamstrup'")
        present = {n for n, _ in fields}
        if present <= {"active_power_import"} and reading.meter_id is None:
            values = [_number(reading.active_power_import or 0.0, 0)]
        else:
            values = [encode_data(9, b"KFM_001"), encode_data(9, (reading.meter_id or "").encode()),
                      encode_data(9, (reading.meter_model or "").encode())]
            for name in _KAIFA_LIST2:
                _, unit, _ = FIELD_CODES[name]
                values.append(encode_data(6, max(0, _int_value(getattr(reading, name) or 0.0,
                                                                _KAIFA_SCALERS[unit]))))
            if present & set(_KAIFA_ENERGY):
                values.append(encode_data(9, dt or build_datetime(_dt.datetime(2000, 1, 1))))
                for name in _KAIFA_ENERGY:
                    values.append(encode_data(6, _int_value(getattr(reading, name) or 0.0, 0)))
        body = encode_data(2, values)
        return head + (b"\x09\x0c" + dt if dt else b"\x00") + body
    raise ValueError(f"cannot encode DLMS profile {profile!r}; use 'aidon', 'kamstrup', 'kamstrup-se' or 'kaifa'")


def encode_reading(reading: Reading, *, profile: str | None = None, keys: KeysArg = None,
                   invocation_counter: int = 1, security_control: int = 0x30,
                   system_title: bytes | None = None, max_info: int = 2000) -> bytes:
    """HDLC frame(s) carrying the Reading; encrypted with general-glo-ciphering when keys are given.

    ``system_title`` defaults to the Keys' system title, else ``b"SMCSIM00"``.
    """
    apdu = build_notification(reading, profile)
    if keys is not None:
        k = keys if isinstance(keys, Keys) else None
        title = system_title or (k.system_title if k else None) or b"SMCSIM00"
        if k is None:
            k = resolve_keys(keys, title)
        if k is None or k.encryption_key is None:
            raise ValueError("encode with keys needs an encryption key for the system title")
        if not k.authentication_key:
            security_control &= ~0x10
        apdu = security.wrap(apdu, keys=k, system_title=title, invocation_counter=invocation_counter,
                             security_control=security_control)
    info = b"\xe6\xe7\x00" + apdu
    chunks = [info[i:i + max_info] for i in range(0, len(info), max_info)]
    frames = [build_frame(c, destination=0x41, source=0x0883, destination_size=1, source_size=2, control=0x13,
                          segmented=i < len(chunks) - 1) for i, c in enumerate(chunks)]
    return b"".join(frames)

