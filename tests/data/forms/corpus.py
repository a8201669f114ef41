"""A corpus of third-party-style XLSForms, written as workbooks the way people save them.

Each entry gives the workbook's file name, its sheets, the media files uploaded with it, and the
answers a Collect-style client fills in (with the attachment files it sends). Run
`python tests/data/forms/corpus.py DIR` to write the workbooks (.xlsx and .xls) to DIR for a try in
ODK Collect or pyxform by hand; the tests build them the same way.
"""
import io
import struct
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(256)) * 2 + b"\xff\xd9"


def png(width: int = 8, height: int = 8) -> bytes:
    """A real (red) PNG image, so a browser can show it."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def wav(samples: int = 800) -> bytes:
    """A real (silent) 8 kHz mono WAV sound."""
    data = b"\x80" * samples
    return (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8)
            + b"data" + struct.pack("<I", len(data)) + data)


def photo(label: str) -> bytes:
    """Distinct bytes per photo, so a swapped or lost file shows."""
    return JPEG + label.encode()


@dataclass
class CorpusForm:
    filename: str
    sheets: dict
    media: dict = field(default_factory=dict)
    answers: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    #: rows written formatted but empty after the survey (as spreadsheets saved with styled columns do)
    formatted_rows: int = 0

    @property
    def data(self) -> bytes:
        return write_xls(self.sheets) if self.filename.endswith(".xls") else write_xlsx(self.sheets,
                                                                                      self.formatted_rows)


def write_xlsx(sheets: dict, formatted_rows: int = 0) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        headers = list(dict.fromkeys(k for row in rows for k in row))
        sheet.append(headers)
        for row in rows:
            sheet.append([row.get(h) for h in headers])
        if formatted_rows and name == next(iter(sheets)):
            bold = Font(bold=True)
            for n in range(len(rows) + 2, len(rows) + 2 + formatted_rows):
                sheet.cell(row=n, column=1).font = bold
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_xls(sheets: dict) -> bytes:
    import xlwt
    book = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        headers = list(dict.fromkeys(k for row in rows for k in row))
        for c, header in enumerate(headers):
            sheet.write(0, c, header)
        for r, row in enumerate(rows, 1):
            for c, header in enumerate(headers):
                if row.get(header) is not None:
                    sheet.write(r, c, row[header])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def biomass() -> CorpusForm:
    """Plots > trees, photos at every depth (a field biomass survey), with a field-list group."""
    survey = [
        {"type": "begin_repeat", "name": "plot", "label": "Plot"},
        {"type": "text", "name": "plot_id", "label": "Plot id"},
        {"type": "image", "name": "plot_photo", "label": "Plot photo"},
        {"type": "begin_repeat", "name": "tree", "label": "Tree"},
        {"type": "decimal", "name": "dbh", "label": "Diameter (cm)", "constraint": ". > 0"},
        {"type": "begin_group", "name": "bark", "label": "Bark", "appearance": "field-list"},
        {"type": "image", "name": "bark_photo", "label": "Bark photo"},
        {"type": "select_one condition", "name": "condition", "label": "Condition"},
        {"type": "end_group", "name": "bark"},
        {"type": "end_repeat", "name": "tree"},
        {"type": "end_repeat", "name": "plot"},
        {"type": "image", "name": "site_photo", "label": "Site photo"},
    ]
    choices = [{"list_name": "condition", "name": n, "label": n.title()} for n in ("healthy", "damaged", "dead")]
    settings = [{"form_title": "Field biomass", "form_id": "biomass", "version": "2026.12.1"}]
    answers = {"site_photo": "site.jpg", "plot": [
        {"plot_id": "P1", "plot_photo": "p1.jpg", "tree": [
            {"dbh": "12.5", "bark/bark_photo": "p1t1.jpg", "bark/condition": "healthy"},
            {"dbh": "30", "bark/bark_photo": "p1t2.jpg", "bark/condition": "dead"}]},
        {"plot_id": "P2", "plot_photo": "p2.jpg", "tree": [
            {"dbh": "8", "bark/bark_photo": "p2t1.jpg", "bark/condition": "damaged"},
            {"dbh": "9", "bark/bark_photo": "p2t2.jpg", "bark/condition": "healthy"}]}]}
    files = {n: photo(n) for n in ("site.jpg", "p1.jpg", "p1t1.jpg", "p1t2.jpg", "p2.jpg", "p2t1.jpg", "p2t2.jpg")}
    return CorpusForm("biomass.xlsx", {"survey": survey, "choices": choices, "settings": settings},
                      answers=answers, files=files)


def market() -> CorpusForm:
    """Its own CSV list, pulldata, a GeoJSON list, label images and audio, cascading choice filters."""
    survey = [
        {"type": "select_one_from_file fruits.csv", "name": "fruit", "label": "Fruit"},
        {"type": "calculate", "name": "price", "calculation": "pulldata('fruits', 'price', 'name', ${fruit})"},
        {"type": "note", "name": "price_note", "label": "Price: ${price}", "media::image": "logo.png"},
        {"type": "select_one_from_file stalls.geojson", "name": "stall", "label": "Stall"},
        {"type": "select_one region", "name": "region", "label": "Region", "media::audio": "region.wav"},
        {"type": "select_one district", "name": "district", "label": "District",
         "choice_filter": "region=${region}"},
        {"type": "audio", "name": "interview", "label": "Interview"},
    ]
    choices = [
        {"list_name": "region", "name": "north", "label": "North"},
        {"list_name": "region", "name": "south", "label": "South"},
        {"list_name": "district", "name": "n1", "label": "N one", "region": "north"},
        {"list_name": "district", "name": "s1", "label": "S one", "region": "south"},
    ]
    settings = [{"form_title": "Market prices", "form_id": "market", "version": "3"}]
    fruits = "name,label,price\napple,Apple,3\npear,Pear,4\n".encode()
    stalls = (b'{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point",'
              b'"coordinates":[121.43,29.29]},"properties":{"id":"s1","title":"Stall 1"}}]}')
    media = {"fruits.csv": fruits, "stalls.geojson": stalls, "logo.png": png(), "region.wav": wav()}
    answers = {"fruit": "pear", "price": "4", "stall": "s1", "region": "south", "district": "s1",
               "interview": "talk.m4a"}
    return CorpusForm("market.xlsx", {"survey": survey, "choices": choices, "settings": settings}, media=media,
                      answers=answers, files={"talk.m4a": b"\x00\x00\x00\x18ftypM4A " + b"\x01" * 40})


def legacy() -> CorpusForm:
    """An Excel 97 .xls with no settings sheet at all: id from the file name, version made."""
    survey = [
        {"type": "begin_group", "name": "head", "label": "Head of household", "appearance": "field-list"},
        {"type": "text", "name": "name", "label": "Name", "required": "yes"},
        {"type": "integer", "name": "age", "label": "Age"},
        {"type": "end_group", "name": "head"},
        {"type": "select_multiple needs", "name": "needs", "label": "Needs"},
    ]
    choices = [{"list_name": "needs", "name": n, "label": n} for n in ("water", "road", "clinic")]
    return CorpusForm("legacy_household.xls", {"survey": survey, "choices": choices},
                      answers={"head/name": "Wang", "head/age": "61", "needs": "water clinic"})


def lone_sheet() -> CorpusForm:
    """One sheet named Sheet1, no settings; saved with 60,000 formatted empty rows; spaces in the id."""
    survey = [{"type": "text", "name": "remark", "label": "Remark"},
              {"type": "geopoint", "name": "where", "label": "Where"}]
    return CorpusForm("Village notes.xlsx", {"Sheet1": survey}, formatted_rows=60_000,
                      answers={"remark": "ok", "where": "29.29 121.43 10 5"})


def remote_target() -> CorpusForm:
    """A form that names another server's submission_url, a version with spaces and ':'."""
    survey = [{"type": "text", "name": "q", "label": "Q"}, {"type": "file", "name": "doc", "label": "Document"}]
    settings = [{"form_id": "remote target", "version": "2026-12-01 10:00",
                 "submission_url": "https://collect.example.org/submission"}]
    return CorpusForm("remote.xlsx", {"survey": survey, "settings": settings},
                      answers={"q": "a", "doc": "scan.pdf"}, files={"scan.pdf": b"%PDF-1.4\n%test\n"})


def sealed(public_key_b64: str) -> CorpusForm:
    """An encrypted form (settings public_key) with a photo in a repeat."""
    survey = [{"type": "text", "name": "secret", "label": "Secret"},
              {"type": "begin_repeat", "name": "item", "label": "Item"},
              {"type": "image", "name": "pic", "label": "Picture"},
              {"type": "end_repeat", "name": "item"}]
    settings = [{"form_id": "sealed", "version": "1", "public_key": public_key_b64}]
    return CorpusForm("sealed.xlsx", {"survey": survey, "settings": settings},
                      answers={"secret": "只给管理员", "item": [{"pic": "a.jpg"}, {"pic": "b.jpg"}]},
                      files={"a.jpg": photo("a"), "b.jpg": photo("b")})


def plain_forms() -> list[CorpusForm]:
    return [biomass(), market(), legacy(), lone_sheet(), remote_target()]


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    for form in plain_forms():
        (out / form.filename).write_bytes(form.data)
        for name, content in form.media.items():
            (out / name).write_bytes(content)
        print(out / form.filename)
