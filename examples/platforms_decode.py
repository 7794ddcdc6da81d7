"""Platform data where no meter port is reachable: Datadis (ES), Eloverblik (DK), Elhub (NO),
e-distribuzione (IT), Fluvius (BE) - decoded, checked on DST days, resampled and split into
tariff periods.

The bodies are the shipped corpus copies (fixtures/platforms/cloud.json). The month of Datadis
data is *simulated* with the encoder (the corpus holds excerpts only); replace it with a real
get-consumption-data body, e.g. from smartmeter_codecs.io.platforms_http.DatadisClient.
"""
import datetime as dt
import json
import pathlib
from zoneinfo import ZoneInfo

import smartmeter_codecs as smc
from smartmeter_codecs.dataframe import readings_frame
from smartmeter_codecs.model import Reading
from smartmeter_codecs.platforms import datadis
from smartmeter_codecs.platforms.periods import es_energy_period, it_band, totals_by_period

ROOT = pathlib.Path(__file__).resolve().parent.parent
bodies = {e["id"]: e["body"] for e in json.loads((ROOT / "fixtures/platforms/cloud.json").read_text())["entries"]}

# 1. Autodetection: one Reading per interval, timestamp = interval end with its UTC offset.
for eid in ("es-datadis-consumption-dst-ide", "dk-eloverblik-timeseries-real", "no-elhub-minside-csv",
            "be-fluvius-csv-en-dst"):
    rs = [r for r in smc.decode_all(bodies[eid]) if r.quality != "missing"]
    print(f"{eid}: {len(rs)} intervals, format {rs[0].format}, first ends {rs[0].timestamp.isoformat()} "
          f"({rs[0].active_energy_import_delta} Wh, {rs[0].quality})")

# 2. The i-DE autumn DST day: one row for both 02:00 hours (a 2-hour interval), never two Readings.
merged = [r for r in smc.decode_all(bodies["es-datadis-consumption-dst-ide"]) if r.interval == dt.timedelta(hours=2)]
print("merged DST row:", merged[0].timestamp.isoformat(), merged[0].interval, merged[0].active_energy_import_delta, "Wh")

# 3. Errors are typed and carry the platform's code.
try:
    smc.decode_all(bodies["dk-eloverblik-error-30002"])
except smc.ApplicationError as err:
    print(f"Eloverblik error {err.code}: {err.text}")

# 4. Contract detail -> the charging calculator's Site.
(contract,) = datadis.contracts(bodies["es-datadis-contract-v1"].encode())
print("Site from the Datadis contract:", contract.to_site(main_fuse_a=25).contracted_power_periods_w)

# 5. A month of (simulated) hourly Datadis data, October 2025 with its 25-hour day.
madrid = ZoneInfo("Europe/Madrid")
start = dt.datetime(2025, 10, 1, tzinfo=madrid).astimezone(dt.UTC)
end = dt.datetime(2025, 11, 1, tzinfo=madrid).astimezone(dt.UTC)
month, t = [], start
while t < end:
    t += dt.timedelta(hours=1)
    local = t.astimezone(madrid)
    wh = 250.0 + 600.0 * (18 <= local.hour < 23) + 150.0 * (local.weekday() >= 5)
    month.append(Reading(format="datadis", timestamp=local, meter_id="ES0021000000000000XX0F",
                         interval=dt.timedelta(hours=1), active_energy_import_delta=wh, quality="measured"))
body = datadis.encode_consumption(month)                  # what the API would send (03:00 twice on 26/10)
readings = smc.decode_all(body)
assert len(readings) == 31 * 24 + 1 and sum(r.active_energy_import_delta for r in readings) == sum(
    r.active_energy_import_delta for r in month)
print("Datadis month:", len(readings), "hours,", round(sum(r.active_energy_import_delta for r in readings) / 1000, 1),
      "kWh; per 2.0TD period (kWh):",
      {k: round(v / 1000, 1) for k, v in sorted(totals_by_period(readings, es_energy_period).items())})

# 6. Resampled to 15 minutes next to a Norwegian HAN capture (Kaifa, 2.5 s power pushes).
frame = readings_frame(readings)
frame["start"] = [r.timestamp - r.interval for r in readings]
hourly = frame.set_index(frame["start"].map(lambda s: s.astimezone(dt.UTC)))
# an hourly value has no shape inside the hour: spread evenly (mean power constant in the hour)
power = (hourly["active_energy_import_delta"] / (hourly["interval"].dt.total_seconds() / 3600)).rename("W")
quarter = power.resample("15min").ffill()
print("Datadis mean power per 15 min, first 4:", [round(x) for x in quarter.iloc[:4]])

dlms = {e["id"]: e for e in json.loads((ROOT / "fixtures/dlms/corpus_plaintext.json").read_text())["entries"]}
han = [r for r in smc.StreamDecoder(format="dlms").feed(bytes.fromhex(dlms["kaifa-no-stream-559-frames"]["hex"]))
       if isinstance(r, smc.Reading) and r.active_power_import is not None]
hf = readings_frame(han).set_index("timestamp")["active_power_import"]
han_q = hf.resample("15min").mean()            # instantaneous power -> 15-minute mean
print(f"Norwegian HAN capture: {len(han)} power pushes, 15-min means (W):", [round(x) for x in han_q.dropna()])

# 7. Italian bands on the e-distribuzione quarter hours (1 September 2024 is a Sunday: all F3).
edis = smc.decode_all(bodies["it-edistribuzione-csv"])
print("e-distribuzione 01/09/2024 per band (Wh):", totals_by_period(edis, it_band))
