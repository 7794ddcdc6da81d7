"""Read a meter behind a TCP serial bridge (ser2net, ESP bridge) with asyncio, with reconnect.

A simulated bridge on 127.0.0.1 serves encrypted DLMS frames (a Kamstrup-style HAN port); the
asyncio reader decrypts them with the keys and stops after three Readings.
"""
import asyncio
import threading

import smartmeter_codecs as smc
from smartmeter_codecs import io as smio
from smartmeter_codecs.io import simulator

keys = smc.Keys(encryption_key="000102030405060708090a0b0c0d0e0f",
                authentication_key="d0d1d2d3d4d5d6d7d8d9dadbdcdddedf")
bridge = simulator.TcpServerSink("127.0.0.1", 0)            # port 0: any free port
host, port = bridge.address
stop = threading.Event()
meter = threading.Thread(target=simulator.run, args=(simulator.generated_frames("dlms", keys=keys), bridge),
                         kwargs={"interval": 0.05, "stop": stop})


async def main() -> None:
    reader = smio.aread_tcp(host, port, format="dlms", keys=keys,
                            reconnect=smio.Backoff(initial=0.1, maximum=5))
    count = 0
    async for item in reader:
        if isinstance(item, smc.Reading):
            count += 1
            print(f"{item.meter_id}: {item.active_power_import:.0f} W, tag verified: {item.authenticated}")
            if count == 3:
                reader.close()                              # or leave the loop, or cancel the task
        else:
            print("broken frame:", item)


meter.start()
try:
    asyncio.run(main())
finally:
    stop.set()
    meter.join()
    bridge.close()
