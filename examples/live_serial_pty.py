"""Read a (simulated) P1 meter through a serial port, as from a real P1 cable.

The simulator writes DSMR telegrams into one side of a pseudo-terminal pair; the reader opens
the other side with pyserial exactly as it would open /dev/ttyUSB0
(pip install 'smartmeter-codecs[serial]'; POSIX: Linux, macOS).
"""
import threading

import smartmeter_codecs as smc
from smartmeter_codecs import io as smio
from smartmeter_codecs.io import simulator

port = simulator.PtySink()                                  # the meter's side
stop = threading.Event()
meter = threading.Thread(target=simulator.run, args=(simulator.generated_frames("p1"), port),
                         kwargs={"interval": 0.05, "garbage": True, "stop": stop})

reader = smio.read_serial(port.path, preset="dsmr5")        # 115200 8N1, format p1
try:
    meter.start()
    readings = 0
    for item in reader:                                     # each Reading as its telegram ends
        if isinstance(item, smc.Reading):
            readings += 1
            print(f"{item.timestamp:%H:%M:%S}  {item.active_power_import:6.0f} W  "
                  f"{item.active_energy_import / 1000:.3f} kWh  L1 {item.voltage_l1} V")
            if readings == 3:
                break                                       # leaving the loop closes the port
        else:
            print("broken frame skipped:", type(item).__name__)
finally:
    stop.set()
    meter.join()
    port.close()
