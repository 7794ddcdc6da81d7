"""DLMS/COSEM (IEC 62056 / Blue Book / Green Book): HDLC, LLC, M-Bus, GBT, A-XDR, security.

Layers, each a small module: ``hdlc`` (IEC 62056-46 frame type 3), ``llc``, ``mbus_transport``
(EN 13757 DLMS transport), ``gbt`` (general-block-transfer), ``security`` (AES-128-GCM),
``axdr`` (A-XDR data), ``cosem_time`` (COSEM date-time), ``units`` (unit table), ``apdu``
(data-notification), ``profiles`` (national lists as data), ``codec`` (the "dlms" format).

The read-only client (issue 17, docs/formats/dlms-client.md): ``hdlc_link`` (control fields,
parameter negotiation, addresses), ``acse`` (AARQ/AARE/RLRQ/RLRE), ``xdlms`` (GET requests and
responses), ``client`` (the sans-I/O state machine and its errors), ``readout`` (what a
wallbox reads, as data), ``optical_signon`` (IEC 62056-21 mode E), ``meter_sim`` (a simulated
meter: the server side of the same layers).
"""
