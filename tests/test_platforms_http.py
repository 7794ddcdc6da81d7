"""Request builders and HTTP clients against a real server on 127.0.0.1 (tests/_platform_server.py)."""
from __future__ import annotations

import datetime as dt
import ssl
import urllib.parse

import pytest
from _platform_server import DATA_TOKEN, JWT, PASSWORD, REFRESH, USER, PlatformServer
from _smgw_server import make_certificate

from smartmeter_codecs.io.platforms_http import DatadisClient, EloverblikClient, PlatformConnectionError, send
from smartmeter_codecs.platforms import PlatformError
from smartmeter_codecs.platforms.http import (
    RATE_LIMITS,
    Datadis,
    ElhubEnergyData,
    Eloverblik,
    HttpRequest,
    HttpResponse,
    check_response,
    retry_after,
)

UTC = dt.UTC


@pytest.fixture
def server():
    with PlatformServer() as srv:
        yield srv


# ---- builders (sans-I/O) ------------------------------------------------------------------------

def test_datadis_consumption_request():
    req = Datadis().consumption("tok", "ES0021000000000000XX0F", "8", dt.date(2024, 1, 5), "2024/03", point_type=5)
    url = urllib.parse.urlsplit(req.url)
    assert (req.method, url.netloc, url.path) == ("GET", "datadis.es", "/api-private/api/get-consumption-data")
    assert dict(urllib.parse.parse_qsl(url.query)) == {
        "cups": "ES0021000000000000XX0F", "distributorCode": "8", "startDate": "2024/01", "endDate": "2024/03",
        "measurementType": "0", "pointType": "5"}
    assert req.header("accept") == "application/json" and req.header("Accept-Encoding") == "identity"
    assert req.header("Authorization") == "Bearer tok" and req.header("User-Agent")
    assert req.query_key == ("consumption", "ES0021000000000000XX0F", "8", "2024/01", "2024/03", "0", "5", "")
    with pytest.raises(ValueError):
        Datadis().consumption("t", "c", "8", "2024-01", "2024/02", point_type=5)      # months are YYYY/MM
    with pytest.raises(ValueError):
        Datadis().consumption("t", "c", "8", "2024/03", "2024/02", point_type=5)
    with pytest.raises(ValueError):
        Datadis().consumption("t", "c", "8", "2024/01", "2024/02", point_type=9)


def test_eloverblik_requests():
    api = Eloverblik()
    req = api.timeseries("data", ["571313174001765605"], dt.date(2024, 2, 18), dt.date(2024, 2, 19))
    assert req.url == "https://api.eloverblik.dk/customerapi/api/meterdata/gettimeseries/2024-02-18/2024-02-19/Hour"
    assert req.body == b'{"meteringPoints": {"meteringPoint": ["571313174001765605"]}}'
    with pytest.raises(ValueError, match="30001/30002"):
        api.timeseries("d", ["571313174001765605"], dt.date(2024, 2, 18), dt.date(2024, 2, 18))
    with pytest.raises(ValueError, match="20013"):
        api.timeseries("d", ["5713"], dt.date(2024, 2, 18), dt.date(2024, 2, 19))
    with pytest.raises(ValueError, match="730"):
        api.timeseries("d", ["571313174001765605"], dt.date(2022, 1, 1), dt.date(2024, 2, 19))
    third = Eloverblik(third_party=True).details("d", ["571313174001765605"])
    assert third.url.endswith("/thirdpartyapi/api/meteringpoint/getdetails")
    elhub = ElhubEnergyData().dataset("price-areas", "CONSUMPTION_PER_GROUP_MBA_HOUR",
                                      dt.datetime(2025, 1, 1, tzinfo=UTC), dt.datetime(2025, 1, 2, tzinfo=UTC))
    assert elhub.url.startswith("https://api.elhub.no/energy-data/v0/price-areas?dataset=CONSUMPTION_PER_GROUP_MBA_HOUR")


def test_rate_limits_are_data():
    datadis = [r for r in RATE_LIMITS if r.platform == "datadis"]
    assert datadis[0].calls == 1 and datadis[0].per_seconds == 86400
    assert {(r.calls, r.per_seconds) for r in RATE_LIMITS if r.platform == "eloverblik"} == {(2, 60), (120, 60), (1200, 60)}


def test_check_response_and_retry_after():
    check_response("datadis", HttpResponse(200, {}, b"[]"))
    with pytest.raises(PlatformError) as info:
        check_response("eloverblik", HttpResponse(400, {}, b'"#30002: Period not allowed, ToDate is equal to FromDate."'))
    assert (info.value.code, info.value.http_status) == (30002, 400)
    when = dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after(HttpResponse(429, {"Retry-After": "Thu, 01 Jan 2026 00:02:00 GMT"}), when) == 120
    assert retry_after(HttpResponse(429, {"retry-after": "30"})) == 30
    assert retry_after(HttpResponse(429, {"Retry-After": "soon"})) is None
    with pytest.raises(PlatformError):   # a WAF page with HTTP 200 is not a token
        Datadis.parse_login(HttpResponse(200, {}, b"<html>maintenance</html>"))


# ---- clients against the loopback server --------------------------------------------------------

def test_datadis_client_flow(server):
    client = DatadisClient(USER, PASSWORD, base_url=server.url, timeout=10)
    (supply,) = client.supplies()
    assert supply.cups == "ES0000000000000000AA0A" and supply.distributor_code == "2"
    (contract,) = client.contracts(supply.cups, supply.distributor_code)
    assert contract.to_site().contracted_power_periods_w == {"P1": 3450.0, "P2": 3450.0}
    readings = client.consumption(supply.cups, supply.distributor_code, "2023/10", "2024/04",
                                  point_type=supply.point_type)
    real = [r for r in readings if r.quality != "missing"]
    assert len(real) == 7 and sum(r.active_energy_import_delta for r in real) == 6402 + 2580
    # the same query again within 24 hours: 429, never retried by the client
    with pytest.raises(PlatformError) as info:
        client.consumption(supply.cups, supply.distributor_code, "2023/10", "2024/04", point_type=supply.point_type)
    assert info.value.http_status == 429 and info.value.retry_after == 86400
    assert "Consulta ya realizada" in info.value.text
    logins = [r for r in server.requests if r["path"] == "/nikola-auth/tokens/login"]
    assert len(logins) == 1                     # the token is reused
    data_calls = [r for r in server.requests if r["path"].startswith("/api-private/")]
    assert all(r["headers"]["Accept"] == "application/json" and r["headers"]["Accept-Encoding"] == "identity"
               and r["headers"]["Authorization"] == f"Bearer {JWT}" for r in data_calls)
    assert len([r for r in data_calls if "get-consumption-data" in r["path"]]) == 2


def test_datadis_client_errors(server):
    bad = DatadisClient(USER, "wrong", base_url=server.url, timeout=10)
    with pytest.raises(PlatformError) as info:
        bad.supplies()
    assert info.value.code == 401 and info.value.http_status == 401
    client = DatadisClient(USER, PASSWORD, base_url=server.url, timeout=10)
    with pytest.raises(PlatformError) as info:
        client.contracts("ES0000000000000000NOCONSENT", "2")
    assert info.value.http_status == 400 and info.value.text == "No se encuentra autorizado el cups introducido"
    with pytest.raises(PlatformError) as info:      # a distributor error inside HTTP 200 (v2)
        client.consumption("ES0000000000000000AA0A", "2", "2024/01", "2024/01", point_type=5, v2=True)
    assert info.value.code == 50 and info.value.http_status is None


def test_eloverblik_client_flow(server):
    client = EloverblikClient(REFRESH, base_url=server.url, timeout=10)
    readings = client.timeseries(["571313174001765605"], dt.date(2024, 2, 18), dt.date(2024, 2, 19))
    assert len(readings) == 24 and readings[0].timestamp.astimezone(UTC) == dt.datetime(2024, 2, 18, tzinfo=UTC)
    (details,) = client.details(["571313174001765605"])
    assert details.type_of_mp == "E17"
    tokens = [r for r in server.requests if r["path"] == "/customerapi/api/token"]
    assert len(tokens) == 1 and tokens[0]["headers"]["Authorization"] == f"Bearer {REFRESH}"
    assert all(r["headers"]["Authorization"] == f"Bearer {DATA_TOKEN}" for r in server.requests if "meter" in r["path"])
    with pytest.raises(PlatformError) as info:     # DataHub overloaded
        client.timeseries(["571313174001765605"], dt.date(2099, 1, 1), dt.date(2099, 1, 2))
    assert info.value.http_status == 503 and info.value.retry_after == 60


def test_eloverblik_error_codes_from_the_server(server):
    token = Eloverblik.parse_token(send(Eloverblik(server.url).token(REFRESH), timeout=10))
    same_day = HttpRequest("POST", f"{server.url}/CustomerApi/api/MeterData/GetTimeSeries/2025-01-06/2025-01-06/Hour",
                           (("Authorization", f"Bearer {token}"),), b"{}")
    with pytest.raises(PlatformError) as info:
        check_response("eloverblik", send(same_day, timeout=10))
    assert (info.value.code, info.value.http_status) == (30002, 400)
    charges = HttpRequest("POST", f"{server.url}/customerapi/api/meteringpoints/meteringpoint/getcharges",
                          (("Authorization", f"Bearer {token}"),), b"{}")
    with pytest.raises(PlatformError) as info:
        check_response("eloverblik", send(charges, timeout=10))
    assert info.value.code == 20013
    # the token endpoint allows 2 calls a minute: the third gets 429 with Retry-After
    with pytest.raises(PlatformError) as info:
        EloverblikClient("wrong", base_url=server.url, timeout=10).data_token()
    assert info.value.http_status == 401 and info.value.code == 50001
    with pytest.raises(PlatformError) as info:
        EloverblikClient(REFRESH, base_url=server.url, timeout=10).data_token()
    assert info.value.http_status == 429 and info.value.retry_after == 60


def test_https_with_certificate_check(tmp_path):
    cert, key, _ = make_certificate(tmp_path, "platform")
    with PlatformServer(tls=(cert, key)) as srv:
        ctx = ssl.create_default_context(cafile=cert)
        client = DatadisClient(USER, PASSWORD, base_url=srv.url, timeout=10, context=ctx)
        assert client.supplies()[0].cups == "ES0000000000000000AA0A"
        with pytest.raises(PlatformConnectionError):      # the system trust store does not know it
            DatadisClient(USER, PASSWORD, base_url=srv.url, timeout=10).supplies()


def test_unreachable_server():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(PlatformConnectionError):
        send(HttpRequest("GET", f"http://127.0.0.1:{port}/"), timeout=5)
    with pytest.raises(ValueError):
        send(HttpRequest("GET", "ftp://example/"))
