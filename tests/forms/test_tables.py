"""forms.tables: a form's tables (main + one per repeat at any depth) and the rows of an instance."""
from forms.answers import build_instance_xml, parse_instance
from forms.tables import form_tables, items, merge_fields, split_geopoint
from forms.xform import parse_fields
from forms.xlsform import convert

NESTED = {
    "survey": [
        {"type": "text", "name": "village", "label": "Village"},
        {"type": "begin_group", "name": "place", "label": "Place"},
        {"type": "geopoint", "name": "point", "label": "Point"},
        {"type": "begin_repeat", "name": "plots", "label": "Plots"},
        {"type": "decimal", "name": "area_mu", "label": "Area"},
        {"type": "begin_group", "name": "soil", "label": "Soil"},
        {"type": "text", "name": "kind", "label": "Kind"},
        {"type": "end_group"},
        {"type": "begin_repeat", "name": "crops", "label": "Crops"},
        {"type": "text", "name": "crop", "label": "Crop"},
        {"type": "end_repeat"},
        {"type": "end_repeat"},
        {"type": "end_group"},
    ],
    "settings": [{"form_id": "plots", "version": "1"}],
}


def test_tables_follow_repeats_at_any_depth_and_keys_join():
    converted = convert(NESTED)
    fields = parse_fields(converted.xml)
    main, plots, crops = form_tables(fields)
    assert (main.path, plots.path, crops.path) == (None, "place/plots", "place/plots/crops")
    assert [f.path for f in main.fields] == ["village", "place/point"]
    assert [plots.key_of(f) for f in plots.fields] == ["area_mu", "soil/kind"]
    assert [crops.key_of(f) for f in crops.fields] == ["crop"]
    answers = {"village": "清潭村", "place/point": "29.1 121.2 10 5",
               "place/plots": [{"area_mu": "1.5", "soil/kind": "红壤", "crops": [{"crop": "水稻"}, {"crop": "茶"}]},
                               {"area_mu": "2", "crops": []}]}
    xml = build_instance_xml(converted.xml, answers, "uuid:1")
    parsed = parse_instance(xml, fields).answers  # the shape the server stores
    assert list(items(main, "uuid:1", parsed)) == [("uuid:1", None, parsed)]
    rows = list(items(plots, "uuid:1", parsed))
    assert [(k, p, r.get("soil/kind")) for k, p, r in rows] == [
        ("uuid:1/plots[1]", "uuid:1", "红壤"), ("uuid:1/plots[2]", "uuid:1", None)]
    assert [(k, p, r["crop"]) for k, p, r in items(crops, "uuid:1", parsed)] == [
        ("uuid:1/plots[1]/crops[1]", "uuid:1/plots[1]", "水稻"), ("uuid:1/plots[1]/crops[2]", "uuid:1/plots[1]", "茶")]


def test_fields_merge_over_versions_and_geopoints_split():
    old = parse_fields(convert(NESTED).xml)
    newer = dict(NESTED, settings=[{"form_id": "plots", "version": "2"}],
                 survey=[{"type": "integer", "name": "households", "label": "Households"}] + NESTED["survey"])
    merged = merge_fields([parse_fields(convert(newer).xml), old])
    assert [f.path for f in merged][:2] == ["households", "village"] and len(merged) == len(old) + 1
    assert split_geopoint("29.1 121.2 10 5") == (29.1, 121.2, 10.0, 5.0)
    assert split_geopoint("29.1 121.2") == (29.1, 121.2, None, None)
    assert split_geopoint({"lat": 1, "lon": 2, "accuracy": 3}) == (1.0, 2.0, None, 3.0)
    assert split_geopoint('{"lat": 1, "lon": 2}') == (1.0, 2.0, None, None)
    assert split_geopoint("not a point") == (None,) * 4 and split_geopoint(None) == (None,) * 4


def _geopoint_part_by_part(value):
    """What split_geopoint reads from text, one part at a time (its general path)."""
    numbers = []
    for part in value.split()[:4]:
        try:
            numbers.append(float(part))
        except ValueError:
            numbers.append(None)
    if len(numbers) < 2 or numbers[0] is None or numbers[1] is None:
        return (None,) * 4
    return tuple(numbers + [None] * (4 - len(numbers)))


def test_geopoint_text_reads_as_part_by_part():
    """The quick path for device text gives what reading each part gives, for odd text too."""
    import random
    rng = random.Random(7)
    pieces = ["29.3", "-121.400001", "35.5", "5", "0", "1e3", "nan", "inf", "-0", "x", "", "１２", "3,5", "1_0"]
    cases = ["29.3 121.4", "29.3 121.4 0 0", "29.3\t121.4\n5", " 29.3  121.4 ", "29.3 121.4 1 2 3", "29.3"]
    for _ in range(2000):
        cases.append(rng.choice([" ", "  ", "\t"]).join(rng.choice(pieces) for _ in range(rng.randint(0, 6))))
    for text in cases:
        assert split_geopoint(text) == _geopoint_part_by_part(text) or (
            "nan" in text and str(split_geopoint(text)) == str(_geopoint_part_by_part(text))), repr(text)
