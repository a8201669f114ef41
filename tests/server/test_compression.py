"""gzip where the client accepts it: the map (streamed), coverage JSON and CSV exports; not otherwise."""
import gzip
import json


def test_map_is_streamed_gzip_when_accepted_and_plain_otherwise(client, world, token_for, db):
    headers = token_for(world.admin)
    plain = client.get("/api/v1/coverage/map.geojson?period=2026", headers=headers)
    zipped = client.get("/api/v1/coverage/map.geojson?period=2026",
                        headers={**headers, "Accept-Encoding": "gzip, deflate, br"})
    assert plain.status_code == zipped.status_code == 200
    assert "Content-Encoding" not in plain.headers and zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"] and "Content-Length" not in zipped.headers
    assert json.loads(gzip.decompress(zipped.data)) == plain.json
    assert len(plain.json["features"]) == 5
    compact = client.get("/api/v1/coverage/map.json?period=2026", headers={**headers, "Accept-Encoding": "gzip"})
    assert compact.headers["Content-Encoding"] == "gzip" and "Content-Length" not in compact.headers
    assert len(json.loads(gzip.decompress(compact.data))["rows"]) == 5


def test_large_json_is_gzip_small_json_and_refusals_are_not(client, world, token_for, make_user, db):
    headers = token_for(world.admin)
    for n in range(40):  # a user list long enough to be worth compressing
        make_user("cadre", world.v1, username=f"many{n:02d}")
    big = client.get("/api/v1/users?page_size=100", headers={**headers, "Accept-Encoding": "gzip"})
    assert big.headers.get("Content-Encoding") == "gzip", big.headers
    assert len(json.loads(gzip.decompress(big.data))) >= 40
    small = client.get("/api/v1/coverage?period=2026&area=%d" % world.v3.id,
                       headers={**headers, "Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers and small.json["total"]["households"] == 1
    refused = client.get("/api/v1/coverage/map.geojson?period=2026",
                         headers={**headers, "Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers and refused.json["type"] == "FeatureCollection"
