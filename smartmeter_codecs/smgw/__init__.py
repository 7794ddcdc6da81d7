"""German Smart Meter Gateway (BSI TR-03109-1) HAN data: formats ``"smgw-han"`` and ``"trudi-xml"``.

TR-03109-1 requires a consumer interface (IF_GW_CON) over HTTPS with Digest or TLS-client
authentication but leaves the payload to each vendor (docs/formats/smgw.md). Modules:

* :mod:`.theben` - Theben CONEXA IF_GW_CON JSON: request builders and response decoders;
* :mod:`.emh` - EMH CASA REST JSON;
* :mod:`.trudi` - TRuDI XML (VDE-AR-E 2418-6) and the DKE profile XML, :mod:`.cms` unwraps it
  from signed containers, :mod:`.xmlsafe` parses without DTDs or entities;
* :mod:`.values`, :mod:`.times`, :mod:`.status` - the shared core (logical names, exact
  scaled values, timestamps, FNN status words);
* :mod:`.mapping` - to and from :class:`~smartmeter_codecs.Reading`;
* :mod:`.digest`, :mod:`.http` - sans-I/O HTTP Digest (RFC 7616) and request/response handling
  for the client in :mod:`smartmeter_codecs.io.smgw_http`.
"""
from __future__ import annotations

from .codec import CODEC, TRUDI_CODEC, documents

__all__ = ["CODEC", "TRUDI_CODEC", "documents"]
