"""The zh catalogue covers every English msgid in the web pages, and the catalogue compiles."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from server.web import i18n

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "server/translations/zh/LC_MESSAGES/messages.po"
METHODS = [("server/**.py", "python"), ("server/templates/**.html", "jinja2")]


def test_every_message_has_a_chinese_translation():
    catalogue = {m.id: m.string for m in read_po(PO.open("rb")) if m.id}
    found = {(message if isinstance(message, str) else message[0]): filename
             for filename, _line, message, _comments, _context in
             extract_from_dir(str(ROOT), METHODS, keywords={"_": None, "_l": None, "gettext": None,
                                                             "lazy_gettext": None})}
    missing = {msgid: where for msgid, where in found.items() if not catalogue.get(msgid)}
    assert not missing, f"add these to {PO.relative_to(ROOT)} (pybabel extract/update): {missing}"


def test_placeholders_survive_translation():
    for message in read_po(PO.open("rb")):
        if message.id and message.string:
            for name in ("%(name)s", "%(n)s", "%(p)s", "%(page)s", "%(file)s", "%(form)s"):
                assert (name in message.id) == (name in message.string), message.id


def test_catalogue_compiles(tmp_path, monkeypatch):
    source = tmp_path / "zh" / "LC_MESSAGES"
    source.mkdir(parents=True)
    (source / "messages.po").write_bytes(PO.read_bytes())
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    assert i18n.compile_catalogues() == [source / "messages.mo"]
    assert i18n.compile_catalogues() == []  # up to date: nothing to do
