"""DLMS/COSEM (IEC 62056 / Blue Book / Green Book): HDLC, LLC, M-Bus, GBT, A-XDR, security.

Layers, each a small module: ``hdlc`` (IEC 62056-46 frame type 3), ``llc``, ``mbus_transport``
(EN 13757 DLMS transport), ``gbt`` (general-block-transfer), ``security`` (AES-128-GCM),
``axdr`` (A-XDR data), ``cosem_time`` (COSEM date-time), ``units`` (unit table), ``apdu``
(data-notification), ``profiles`` (national lists as data), ``codec`` (the "dlms" format).
"""
