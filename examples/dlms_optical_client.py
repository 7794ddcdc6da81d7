"""Read a (simulated) Spanish PRIME meter's optical port with the read-only DLMS client.

With a real optical head, replace SimulatedLink(meter) by
``smartmeter_codecs.io.dlms_optical.SerialLink("/dev/ttyUSB0")`` (pip install
'smartmeter-codecs[serial]') and use the password of your meter's reading client.
"""
from smartmeter_codecs import DecodeError
from smartmeter_codecs.dlms.client import AuthenticationFailed, ClientSettings
from smartmeter_codecs.dlms.hdlc_link import ServerAddress
from smartmeter_codecs.dlms.meter_sim import SimulatedLink, es_prime_meter
from smartmeter_codecs.io.dlms_optical import read_meter

# A simulated meter: reading client 2 with LLS, the instantaneous-values profile of a real
# Circutor row, contracted powers; frames 3 and 8 of its answers get lost on the way.
meter = es_prime_meter(password=b"00000001", drop_replies={3, 8})

settings = ClientSettings(client_sap=2, password=b"00000001", server=ServerAddress.make(1, 16, 2))
reading = read_meter(SimulatedLink(meter), settings, response_timeout=0.0)
print(reading)
print()
print(f"import {reading.active_power_import:g} W, export {reading.active_power_export:g} W, "
      f"contracted {reading.contracted_power:g} W")
print("requests the meter served:", ", ".join(meter.requests))

# A wrong password: one typed error, and the client will not try again.
try:
    read_meter(SimulatedLink(meter), ClientSettings(client_sap=2, password=b"12345678"), response_timeout=0.0)
except AuthenticationFailed as err:
    assert isinstance(err, DecodeError)
    print("login rejected:", err)
