"""National metering platforms and portal exports (where no meter port is reachable).

One format name per platform body or export (``smc.formats()`` lists them), each autodetected
from its content:

| format | what |
|---|---|
| `datadis` | Datadis (ES) API JSON: consumption, supplies, contract, max power |
| `es-csv` | Spanish load-curve CSV (CNMC/distributors, Datadis web, i-DE) |
| `eloverblik` | Eloverblik (DK) API JSON: time series, meter readings, details |
| `eloverblik-csv` | Eloverblik time-series CSV export |
| `elhub-csv` | Elhub Min side (NO) metering-value CSV |
| `edistribuzione-csv` | e-distribuzione (IT) area-clienti quarter-hour CSV |
| `edistribuzione-app` | e-distribuzione app `querydailyloadprofile` JSON |
| `portale-consumi-csv` | Portale Consumi (IT, Acquirente Unico) electricity CSV |
| `fluvius-csv` | Mijn Fluvius (BE) consumption-history CSV (NL/EN) |
| `fluvius-api` | Fluvius ESCO API v3 `Mandate/energy` JSON |
| `mijnaansluiting` | Mijn Aansluiting / mijnenergiedata (NL) daily register JSON |

Interval series give one Reading per interval: ``timestamp`` = interval end (tz-aware, the
local UTC offset of that instant), ``interval``, ``active_energy_import_delta`` /
``active_energy_export_delta`` in Wh, normalised ``quality`` (``measured``, ``estimated``,
``calculated``, ``not validated``, ``no consumption``, ``unknown``, ``incomplete``,
``missing``), ``meter_id`` (CUPS, GSRN, POD, EAN) and the source row as registers. A hole in a
series is a Reading with quality ``"missing"``; two values for one interval are a FramingError.
Platform error bodies raise :class:`PlatformError` (``code``, ``text``). Request builders for
the APIs are in :mod:`.requests`; HTTP clients in :mod:`smartmeter_codecs.io.platforms_http`.
"""
from __future__ import annotations

from . import datadis, elhub, eloverblik, es_csv, fluvius, italy, mijnaansluiting
from ._codec import PlatformCodec
from ._common import CsvError, JsonPathError, PlatformError
from ._labels import CONVENTIONS


def _datadis_sniff(data: bytes) -> int:
    from ._common import json_doc
    kind = datadis.classify(json_doc(data))
    return {None: 0, "empty": 20, "error": 90}.get(kind, 95)


DATADIS = PlatformCodec("datadis", "Datadis (ES) API JSON: hourly/quarter-hourly consumption, supplies, contract "
                        "detail, max power (v1 lists and v2 envelopes)", _datadis_sniff, datadis.decode,
                        datadis.encode_consumption, ("hour-ending", "wall-clock-end", "canarias"))
ES_CSV = PlatformCodec("es-csv", "Spanish load-curve CSV: CNMC/distributor ordinal hours, Datadis web download, "
                       "i-DE customer area", es_csv.sniff, es_csv.decode, es_csv.encode_csv,
                       ("hour-ending", "wall-clock-end", "canarias"))
ELOVERBLIK = PlatformCodec("eloverblik", "Eloverblik / DataHub (DK) API JSON: time series, meter readings, "
                           "metering-point details, error bodies", eloverblik.sniff, eloverblik.decode,
                           eloverblik.encode_timeseries)
ELOVERBLIK_CSV = PlatformCodec("eloverblik-csv", "Eloverblik (DK) time-series CSV export (Danish local time)",
                               eloverblik.sniff_csv, eloverblik.decode_csv, eloverblik.encode_csv)
ELHUB_CSV = PlatformCodec("elhub-csv", "Elhub Min side (NO) metering-value CSV export", elhub.sniff, elhub.decode,
                          elhub.encode_csv)
EDISTRIBUZIONE_CSV = PlatformCodec("edistribuzione-csv", "e-distribuzione (IT) area-clienti quarter-hour CSV",
                                   italy.sniff_edistribuzione, italy.decode_edistribuzione,
                                   italy.encode_edistribuzione)
EDISTRIBUZIONE_APP = PlatformCodec("edistribuzione-app", "e-distribuzione (IT) app querydailyloadprofile JSON",
                                   italy.sniff_app, italy.decode_app, italy.encode_app)
PORTALE_CONSUMI_CSV = PlatformCodec("portale-consumi-csv", "Portale Consumi (IT, Acquirente Unico) electricity CSV",
                                    italy.sniff_portale, italy.decode_portale, italy.encode_portale)
FLUVIUS_CSV = PlatformCodec("fluvius-csv", "Mijn Fluvius (BE) consumption-history CSV (Dutch or English)",
                            fluvius.sniff_csv, fluvius.decode_csv, fluvius.encode_csv)
FLUVIUS_API = PlatformCodec("fluvius-api", "Fluvius (BE) ESCO API v3 Mandate/energy JSON", fluvius.sniff_api,
                            fluvius.decode_api, fluvius.encode_api)
MIJNAANSLUITING = PlatformCodec("mijnaansluiting", "Mijn Aansluiting / mijnenergiedata (NL) daily register JSON",
                                mijnaansluiting.sniff, mijnaansluiting.decode, mijnaansluiting.encode)

CODECS = (DATADIS, ES_CSV, ELOVERBLIK, ELOVERBLIK_CSV, ELHUB_CSV, EDISTRIBUZIONE_CSV, EDISTRIBUZIONE_APP,
          PORTALE_CONSUMI_CSV, FLUVIUS_CSV, FLUVIUS_API, MIJNAANSLUITING)

__all__ = [
    "CODECS",
    "CONVENTIONS",
    "DATADIS",
    "EDISTRIBUZIONE_APP",
    "EDISTRIBUZIONE_CSV",
    "ELHUB_CSV",
    "ELOVERBLIK",
    "ELOVERBLIK_CSV",
    "ES_CSV",
    "FLUVIUS_API",
    "FLUVIUS_CSV",
    "MIJNAANSLUITING",
    "PORTALE_CONSUMI_CSV",
    "CsvError",
    "JsonPathError",
    "PlatformCodec",
    "PlatformError",
    "datadis",
    "elhub",
    "eloverblik",
    "es_csv",
    "fluvius",
    "italy",
    "mijnaansluiting",
]
