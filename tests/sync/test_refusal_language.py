"""A device's refusals in the language it asks for (Accept-Language), with the stable problem id (issue 13)."""
from lxml import etree

from server.households.services import link_cadre

from .test_json_sync import _item

NS = {"r": "http://openrosa.org/http/response"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en"}


def _message(response) -> str:
    return etree.fromstring(response.data).xpath("//r:message/text()", namespaces=NS)[0]


def _move_h1_to_cadre2(world, db):
    link_cadre(db.session.get(type(world.h1), world.h1.id), world.cadre2.id, actor=world.admin)
    db.session.commit()


def test_openrosa_refusal_is_chinese_with_the_facts_and_english_by_the_switch(world, device_token, visit_xml,
                                                                             post_xml, db):
    token = device_token(world.cadre)
    xml = visit_xml(token, world.h1, lat=world.h1.lat + 0.00007, lon=world.h1.lon)
    _move_h1_to_cadre2(world, db)
    zh = post_xml(token, xml, headers=ZH)
    assert zh.status_code == 403 and zh.headers["X-Lianhu-Problem"] == "submission.household_forbidden"
    assert _message(zh) == f"您无权为农户 {world.h1.code} 提交走访记录，该户可能已改由他人联系。"
    en = post_xml(token, xml, headers=EN)
    assert en.status_code == 403 and _message(en) == f"You may not submit for household {world.h1.code}."


def test_a_device_that_names_no_language_is_refused_in_chinese(world, device_token, visit_xml, post_xml, client,
                                                                token_for, db):
    """ODK Collect sends no Accept-Language: its cadre reads the server's message, so it is Chinese."""
    del client.environ_base["HTTP_ACCEPT_LANGUAGE"]
    token = device_token(world.cadre)
    xml = visit_xml(token, world.h1, lat=world.h1.lat + 0.00007, lon=world.h1.lon)
    _move_h1_to_cadre2(world, db)
    refused = post_xml(token, xml)
    assert refused.status_code == 403 and refused.headers["X-Lianhu-Problem"] == "submission.household_forbidden"
    assert _message(refused) == f"您无权为农户 {world.h1.code} 提交走访记录，该户可能已改由他人联系。"
    bad = client.get("/api/v1/sync/pull?cursor=garbage", headers=token_for(world.cadre))
    assert bad.status_code == 400 and bad.json["message"] == "同步位置无效，请重新完整同步。"


def test_closed_form_and_broken_bodies_are_refused_in_chinese(world, device_token, visit_xml, post_xml, client, db):
    from server.surveys.services import get_form, set_state
    token = device_token(world.cadre)
    missing = client.post(f"/key/{token}/openrosa/submission", data={"other": "x"},
                          content_type="multipart/form-data", headers=ZH)
    assert missing.status_code == 400 and _message(missing) == "提交中缺少表单数据。"
    unknown = client.get(f"/key/{token}/openrosa/nowhere", headers=ZH)
    assert unknown.status_code == 404 and unknown.headers["X-Lianhu-Problem"] == "resource.not_found"
    assert _message(unknown) == "找不到所请求的内容。"  # a message with facts the catalogue lacks: its class's text
    xml = visit_xml(token, world.h1, lat=world.h1.lat + 0.00007, lon=world.h1.lon)
    set_state(world.admin, get_form("visit"), "closed")
    db.session.commit()
    closed = post_xml(token, xml, headers=ZH)
    assert closed.status_code == 409 and _message(closed) == "这个表单已关闭，不再接收提交。"


def test_json_problems_and_push_results_are_chinese(client, world, token_for, db):
    headers = {**token_for(world.cadre), **ZH}
    bad = client.get("/api/v1/sync/pull?cursor=garbage", headers=headers)
    assert bad.status_code == 400 and bad.json["problem"] == "request.invalid"
    assert bad.json["message"] == "同步位置无效，请重新完整同步。"
    _move_h1_to_cadre2(world, db)
    result = client.post("/api/v1/sync/push", json={"submissions": [_item(world)]}, headers=headers).json["results"][0]
    assert result["status"] == "rejected"
    assert result["errors"] == [{"path": "", "problem": "submission.household_forbidden",
                                 "message": f"您无权为农户 {world.h1.code} 提交走访记录，该户可能已改由他人联系。"}]
    english = client.post("/api/v1/sync/push", json={"submissions": [_item(world)]},
                          headers={**token_for(world.cadre), **EN}).json["results"][0]
    assert english["errors"][0]["message"] == f"You may not submit for household {world.h1.code}."


def test_revoked_token_is_refused_in_chinese(client, world, device_token):
    response = client.get("/api/v1/sync/pull", headers={"Authorization": "Bearer not-a-token", **ZH})
    assert response.status_code in (401, 403) and response.json["problem"].startswith("auth.")
    assert response.json["message"] in ("登录令牌无效或已被撤销，请重新登录。", "请登录，或使用有效的令牌。")
