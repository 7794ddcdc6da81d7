"""Feed a HAN-port byte stream in small chunks, with garbage and a broken frame, as a serial port would."""
import pathlib

import smartmeter_codecs as smc

ROOT = pathlib.Path(__file__).resolve().parent.parent
text = (ROOT / "fixtures" / "dlms" / "aidon-se-27item-hdlc.hex").read_text()
frame = bytes.fromhex("".join(line for line in text.splitlines() if not line.startswith("#")))

broken = bytearray(frame)
broken[100] ^= 0x01                               # one flipped bit: the FCS no longer matches
stream = b"\x13\x7e\x00 garbage " + bytes(broken) + frame

decoder = smc.StreamDecoder()                     # format detected from the stream
for i in range(0, len(stream), 17):               # 17-byte chunks, like a UART FIFO
    for item in decoder.feed(stream[i:i + 17]):
        if isinstance(item, smc.Reading):
            print(f"reading: {item.active_power_import} W, L1 {item.voltage_l1} V ({item.profile})")
        else:
            print(f"broken frame skipped: {type(item).__name__}: {item}")

# A simulator: encode a Reading back into an (encrypted) HDLC frame.
keys = smc.Keys(encryption_key="000102030405060708090a0b0c0d0e0f")
sim = smc.encode(smc.Reading(format="dlms", active_power_import=4200.0), format="dlms", keys=keys,
                 invocation_counter=42)
print("simulated frame:", sim.hex())
print("decoded back:", smc.decode(sim, keys=keys).active_power_import, "W")
