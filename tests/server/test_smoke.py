def test_forms_listed_with_hashes(client, world, token_for):
    response = client.get("/api/v1/forms", headers=token_for(world.cadre))
    assert response.status_code == 200
    by_id = {f["form_id"]: f for f in response.json}
    assert set(by_id) == {"visit", "satisfaction"}
    assert by_id["visit"]["hash"].startswith("md5:")
    xml = client.get("/api/v1/forms/visit.xml", headers=token_for(world.cadre))
    assert xml.status_code == 200 and b"<h:html" in xml.data
    detail = client.get("/api/v1/forms/visit", headers=token_for(world.cadre)).json
    assert any(f["path"] == "household" for f in detail["fields"])
