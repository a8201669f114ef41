"""submissions.csv.zip: a main CSV and one per repeat at any depth, joined by keys; media; scope; labels."""
import csv
import io
import zipfile

URL = "/api/v1/forms/hh_survey/submissions.csv.zip"


def open_zip(response):
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert archive.testzip() is None
    return archive


def read(archive, name):
    raw = archive.read(name)
    assert raw.startswith("\ufeff".encode())  # Excel reads the UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_zip_keys_join_every_repeat_row_and_holds_every_attachment(client, survey, token_for, world):
    archive = open_zip(client.get(URL + "?attachments=true", headers=token_for(world.admin)))
    main, people, jobs = (read(archive, n) for n in ("hh_survey.csv", "hh_survey-members.csv", "hh_survey-jobs.csv"))
    assert sorted(r["KEY"] for r in main) == sorted(s["instance_id"] for s in survey)
    assert len(people) == sum(len(s["answers"]["members"]) for s in survey) == 7
    assert len(jobs) == sum(len(m["jobs"]) for s in survey for m in s["answers"]["members"]) == 10
    keys = {r["KEY"] for r in main}
    assert all(p["PARENT_KEY"] in keys for p in people)
    member_keys = {p["KEY"]: p for p in people}
    assert all(j["PARENT_KEY"] in member_keys for j in jobs)
    first = next(s for s in survey if s["answers"]["photo"] == "甲.jpg")
    mine = [p for p in people if p["PARENT_KEY"] == first["instance_id"]]
    assert [p["member_name"] for p in mine] == ["甲成员1", "甲成员2"]
    assert mine[0]["KEY"] == first["instance_id"] + "/members[1]"
    assert [j["job_title"] for j in jobs if j["PARENT_KEY"] == mine[0]["KEY"]] == ["职务1-1"]
    row = next(r for r in main if r["KEY"] == first["instance_id"])
    assert (row["location-Latitude"], row["location-Altitude"], row["location-Accuracy"]) == ("29.2901", "35.5", "4.0")
    assert row["CapturedAt"] == "2026-11-03 09:00:00" and row["HouseholdCode"] == "SZ01-001"
    assert row["AreaCode"] == "NH-SZ-01" and row["SubmitterName"] == "cadre01" and row["has_water"] == "yes"
    media = {n[len("media/"):]: archive.read(n) for n in archive.namelist() if n.startswith("media/")}
    expected = {name: content for s in survey for name, content in s["files"].items()}
    assert media == expected and len(media) == 12
    assert {r["photo"] for r in main} | {p["member_photo"] for p in people} == set(expected)


def test_village_manager_gets_only_the_village(client, survey, token_for, world):
    archive = open_zip(client.get(URL, headers=token_for(world.v2_manager)))
    main, people = read(archive, "hh_survey.csv"), read(archive, "hh_survey-members.csv")
    ours = {s["instance_id"] for s in survey if s["household"].area_id == world.v2.id}
    assert {r["KEY"] for r in main} == ours and {r["AreaCode"] for r in main} == {"NH-SZ-02"}
    assert len(people) == 4 and {p["PARENT_KEY"] for p in people} <= ours
    assert not [n for n in archive.namelist() if n.startswith("media/")]  # only when asked


def test_labels_in_chinese_and_english(client, survey, token_for, world):
    archive = open_zip(client.get(URL + "?labels=zh", headers=token_for(world.admin)))
    assert "成员1".encode() in archive.read("hh_survey-members.csv")  # readable, no \\u escapes
    main, people = read(archive, "hh_survey.csv"), read(archive, "hh_survey-members.csv")
    assert {"农户", "位置-纬度", "位置-海拔", "通自来水", "提交时间", "走访时间"} <= set(main[0])
    assert {r["通自来水"] for r in main} == {"是"}
    assert {p["技能"] for p in people} == {"务农、手艺", "务农"}
    english = read(open_zip(client.get(URL + "?labels=en", headers=token_for(world.admin))), "hh_survey-members.csv")
    assert {p["Skills"] for p in english} == {"Farming, Crafts", "Farming"} and "Parent key" in english[0]


def test_filters_period_area_review_and_geo(client, survey, token_for, world, db):
    from server.submissions.models import Submission
    headers = token_for(world.admin)
    november = read(open_zip(client.get(URL + "?period=2026-11", headers=headers)), "hh_survey.csv")
    assert sorted(r["CapturedAt"][:10] for r in november) == ["2026-11-03", "2026-11-10", "2026-11-12"]
    village = read(open_zip(client.get(URL + f"?area={world.v1.id}", headers=headers)), "hh_survey.csv")
    assert len(village) == 3
    row = db.session.scalar(db.select(Submission).filter_by(instance_id=survey[0]["instance_id"]))
    row.review_state = "approved"
    db.session.commit()
    approved = read(open_zip(client.get(URL + "?review_state=approved", headers=headers)), "hh_survey-members.csv")
    assert {p["PARENT_KEY"] for p in approved} == {survey[0]["instance_id"]}
    statuses = {r["GeoStatus"] for r in read(open_zip(client.get(URL, headers=headers)), "hh_survey.csv")}
    for status in statuses:
        some = read(open_zip(client.get(URL + f"?geo_status={status}", headers=headers)), "hh_survey.csv")
        assert some and {r["GeoStatus"] for r in some} == {status}
    assert client.get(URL + "?labels=fr", headers=headers).status_code == 422


def test_zip_scope_and_unknown_form(client, survey, token_for, world):
    cadre = read(open_zip(client.get(URL, headers=token_for(world.cadre2))), "hh_survey.csv")
    assert {r["SubmitterName"] for r in cadre} == {"cadre02"}
    assert client.get(URL).status_code == 401
    assert client.get("/api/v1/forms/nope/submissions.csv.zip", headers=token_for(world.admin)).status_code == 404
    other = read(open_zip(client.get(URL, headers=token_for(world.other_manager))), "hh_survey.csv")
    assert other == []


def test_codes_of_checks_and_review_states_read_in_the_language(client, survey, token_for, world):
    main = read(open_zip(client.get(URL + "?labels=zh", headers=token_for(world.admin))), "hh_survey.csv")
    codes = read(open_zip(client.get(URL, headers=token_for(world.admin))), "hh_survey.csv")
    names = {"verified": "已核验", "far": "距离过远", "low_accuracy": "精度不足", "no_fix": "无定位",
             "anchored": "首次定位", "suspect": "可疑"}
    by_key = {r["记录编号"]: r for r in main}
    assert all(by_key[r["KEY"]]["位置核验"] == names[r["GeoStatus"]] for r in codes)
    assert {r["审核状态"] for r in main} == {"已接收"} and {r["ReviewState"] for r in codes} == {"received"}


def test_zip_streams_over_a_real_server_after_the_request_session_is_gone(live_server, survey, token_for, world):
    """Served by a real server (its own thread and app context, as gunicorn), the zip is written after
    the view returned and its session was removed: the form and actor must not be needed by then."""
    import requests
    response = requests.get(live_server.url + URL + "?attachments=true&labels=zh", headers=token_for(world.admin),
                            timeout=60)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    assert len(read(archive, "hh_survey.csv")) == len(survey)
    assert any(name.startswith("media/") for name in archive.namelist())
