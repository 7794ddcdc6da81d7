"""Mijn Aansluiting / mijnenergiedata (EDSN, Netherlands) daily register readings.

Facts (docs/formats/platforms.md; eddie-energy/eddie fixture): a list of
``{MarketEvaluationPoint: {MRID: <EAN>, RegisterList: [{Meter: {MRID}, MRID: "1.8.1",
ReadingList: [{DateAndOrTime: {DateTime: <ISO with offset>}, ReadingType: {Multiplier: "k",
Unit: "Wh"}, Value: 9738.65}]}]}}]``: cumulative registers named by OBIS C.D.E (1.8.1/1.8.2
import tariff 1/2, 2.8.1/2.8.2 export). One Reading per EAN and time with every register
(keyed by the full OBIS code, so ``reading.register("1-0:1.8.1")`` finds it);
``active_energy_import``/``export`` are set only when both tariff registers (or x.8.0) are
there - one tariff register alone is not the total.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

from ..errors import FramingError
from ..model import Reading, Register
from ..obis import ObisCode
from ._common import field_error, json_doc, json_number, load_json
from ._time import local, parse_iso, zone

__all__ = ["FORMAT", "decode", "encode", "sniff"]

FORMAT = "mijnaansluiting"
ZONE = "Europe/Amsterdam"
_MULT = {"": 1, "k": 1000, "M": 1_000_000}
_REG = re.compile(r"([12])\.8\.([0-2])\Z")


def _is_doc(doc: Any) -> bool:
    return isinstance(doc, list) and bool(doc) and all(isinstance(d, dict) and "MarketEvaluationPoint" in d for d in doc)


def sniff(data: bytes) -> int:
    return 95 if _is_doc(json_doc(data)) else 0


def decode(data: bytes, *, profile: str | None = None) -> list[Reading]:
    tz = zone(ZONE)
    doc = load_json(bytes(data), FORMAT)
    if not _is_doc(doc):
        raise FramingError(FORMAT, None, "not a Mijn Aansluiting body: expected a list of MarketEvaluationPoint")
    table: dict[tuple[str, dt.datetime], list[Register]] = {}
    for i, item in enumerate(doc):
        mep = item["MarketEvaluationPoint"]
        path = f"[{i}].MarketEvaluationPoint"
        if not isinstance(mep, dict) or not isinstance(mep.get("MRID"), str):
            raise field_error(FORMAT, f"{path}.MRID", "expected the EAN")
        ean = mep["MRID"]
        regs = mep.get("RegisterList") or []
        if not isinstance(regs, list):
            raise field_error(FORMAT, f"{path}.RegisterList", "expected a list")
        for j, reg in enumerate(regs):
            rpath = f"{path}.RegisterList[{j}]"
            if not isinstance(reg, dict) or not isinstance(reg.get("MRID"), str):
                raise field_error(FORMAT, f"{rpath}.MRID", "expected a register id such as 1.8.1")
            meter = reg.get("Meter", {}).get("MRID") if isinstance(reg.get("Meter"), dict) else None
            m = _REG.match(reg["MRID"])
            obis = ObisCode.parse(f"1-0:{reg['MRID']}.255") if m else None
            rl = reg.get("ReadingList") or []
            if not isinstance(rl, list):
                raise field_error(FORMAT, f"{rpath}.ReadingList", "expected a list")
            for k, rd in enumerate(rl):
                qpath = f"{rpath}.ReadingList[{k}]"
                if not isinstance(rd, dict):
                    raise field_error(FORMAT, qpath, "expected an object")
                when_obj = rd.get("DateAndOrTime")
                try:
                    when = parse_iso(str(when_obj.get("DateTime") if isinstance(when_obj, dict) else None))
                    value = json_number(rd.get("Value"))
                except ValueError as err:
                    raise field_error(FORMAT, qpath, str(err)) from None
                rt_raw = rd.get("ReadingType")
                rt: dict[str, Any] = rt_raw if isinstance(rt_raw, dict) else {}
                mult, unit = rt.get("Multiplier", ""), rt.get("Unit", "")
                if mult not in _MULT or unit != "Wh":
                    raise field_error(FORMAT, f"{qpath}.ReadingType", f"expected Multiplier k and Unit Wh, got {rt!r}")
                wh = None if value is None else value * _MULT[mult]
                key = str(obis) if obis is not None else f"mijnaansluiting:{reg['MRID']}"
                table.setdefault((ean, when), []).append(
                    Register(key, wh, "Wh", obis, f"Register {reg['MRID']} (cumulative)",
                             {"meter": meter, "sent": str(value), "multiplier": mult}))
    out = []
    for (ean, when), regs in sorted(table.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        vals = {r.obis.c * 10 + r.obis.e if r.obis else -1: r.value for r in regs}
        seen_keys = [r.key for r in regs]
        if len(set(seen_keys)) != len(seen_keys):
            raise FramingError(FORMAT, None, f"{ean} {when.isoformat()}: a register twice")
        out.append(Reading(format=FORMAT, profile="daily-registers", timestamp=local(when, tz), meter_id=ean,
                           active_energy_import=_total(vals, 1), active_energy_export=_total(vals, 2),
                           quality="measured", registers=tuple(regs)))
    return out


def _total(vals: dict[int, Any], c: int) -> float | None:
    if vals.get(c * 10) is not None:
        return float(vals[c * 10])
    t1, t2 = vals.get(c * 10 + 1), vals.get(c * 10 + 2)
    if t1 is not None and t2 is not None:
        return float(t1 + t2)
    return None


def encode(readings: list[Reading]) -> bytes:
    """A Mijn Aansluiting body with every OBIS register of the Readings (kWh, Multiplier k)."""
    by: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for r in readings:
        if r.timestamp is None:
            raise ValueError("a register reading needs a timestamp")
        for reg in r.registers:
            if reg.obis is None or reg.value is None:
                continue
            name = f"{reg.obis.c}.{reg.obis.d}.{reg.obis.e}"
            by.setdefault(r.meter_id or "", {}).setdefault(name, []).append({
                "DateAndOrTime": {"DateTime": r.timestamp.isoformat(timespec="milliseconds")},
                "ReadingType": {"Multiplier": "k", "Unit": "Wh"},
                "Value": float(Decimal(str(reg.value)) / 1000)})
    if not by:
        raise ValueError("no OBIS register (1.8.x / 2.8.x) with a value to write")
    body = [{"MarketEvaluationPoint": {"MRID": ean, "RegisterList": [
        {"Meter": {"MRID": "E0000000000000000"}, "MRID": name, "ReadingList": rl} for name, rl in regs.items()]}}
        for ean, regs in by.items()]
    return json.dumps(body).encode("utf-8")
