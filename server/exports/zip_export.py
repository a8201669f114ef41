"""submissions.csv.zip as ODK Central makes it: <form>.csv, <form>-<repeat>.csv per repeat (at any depth),
joined by KEY / PARENT_KEY, and optionally media/<file> for every received attachment.

Streamed: each CSV is one pass of a server-side cursor written straight into the zip, so memory stays
flat however many submissions there are."""
import csv
import io
import zipfile
from itertools import islice

from sqlalchemy import select

from ..submissions.models import Attachment, Submission
from ..submissions.services import attachment_path
from ..web import labels
from .columns import code_labels, field_columns, meta_header
from .rows import answers_text, cells, loads, local_texts
from .tables import MAIN_META, REPEAT_META, form_and_tables, main_select, repeat_rows, stream, submissions_select

CHUNK = 64 * 1024
#: rows written at a time; deflate level (1: about three times faster than 6, the CSV a little larger)
ROWS, LEVEL = 500, 1


class _Pipe(io.RawIOBase):
    """A write-only, unseekable file whose bytes are taken out as the zip grows (zipfile then writes
    data descriptors instead of seeking back)."""

    def __init__(self):
        self.parts, self.size = [], 0

    def writable(self):
        return True

    def write(self, data):
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def take(self) -> bytes:
        out, self.parts, self.size = b"".join(self.parts), [], 0
        return out


def _csv_entry(archive, pipe, name, header, rows):
    """Write one CSV (UTF-8 with a BOM, so Excel reads Chinese) into the archive, yielding zip bytes."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    rows = iter(rows)
    with archive.open(name, "w", force_zip64=True) as entry:
        text.write("\ufeff")
        writer.writerow(header)
        while batch := list(islice(rows, ROWS)):
            writer.writerows(batch)
            if text.tell() > CHUNK:
                entry.write(text.getvalue().encode("utf-8"))
                text.seek(0)
                text.truncate()
                if pipe.size > CHUNK:
                    yield pipe.take()
        entry.write(text.getvalue().encode("utf-8"))
    yield pipe.take()


def _main_rows(query, columns, lang, tz):
    geo, review = code_labels(labels.GEO_STATUSES, lang) or {}, code_labels(labels.REVIEW_STATES, lang) or {}
    local, values = local_texts(tz), cells(columns, lang)
    for row in stream(query):
        (_, instance_id, received_at, captured_at, version, username, household, area, geo_status,
         distance, review_state, answers) = row
        meta = [instance_id, local(received_at), local(captured_at), version, username,
                household, area, geo.get(geo_status, geo_status), "" if distance is None else round(distance, 1),
                review.get(review_state, review_state)]
        yield meta + values(loads(answers))


def _repeat_rows(table, query, columns, lang):
    values = cells(columns, lang)
    for _, key, parent_key, item in repeat_rows(table, stream(query), parse=loads):
        yield [parent_key, key] + values(item)


def _media(archive, pipe, query):
    """Every received attachment of the rows, once per name, as media/<name>."""
    seen = set()
    for attachment in stream(query):
        if attachment.name in seen:
            continue
        path = attachment_path(attachment)
        if path is None:
            continue
        seen.add(attachment.name)
        with open(path, "rb") as source, archive.open(f"media/{attachment.name}", "w", force_zip64=True) as entry:
            while chunk := source.read(CHUNK):
                entry.write(chunk)
                if pipe.size > CHUNK:
                    yield pipe.take()
        yield pipe.take()


def submissions_zip(actor, form_id: str, filters, *, lang=None, attachments=False, tz=None):
    """The zip's bytes, as a generator to stream (the form and scope are checked before the first byte).

    Every query and header is made here, before the response starts: once it streams, the request's
    session is gone (its ORM objects, the form and the actor, are detached), so the generator only runs
    the statements made beforehand, in a session of its own."""
    form, tables = form_and_tables(actor, form_id)
    entries = []
    for table, columns in ((t, field_columns(t, lang)) for t in tables):
        meta = MAIN_META if table.path is None else REPEAT_META
        header = [meta_header(m, lang) for m in meta] + [c.header for c in columns]
        if table.path is None:
            name = f"{form.form_id}.csv"
            query = main_select(actor, form, filters, raw=True).order_by(Submission.captured_at, Submission.id)
        else:
            name = f"{form.form_id}-{table.name}.csv"
            query = submissions_select(actor, form, filters, Submission.id, Submission.instance_id,
                                       answers_text(Submission.answers)).order_by(Submission.captured_at,
                                                                                  Submission.id)
        entries.append((name, header, table, columns, query))
    media = None
    if attachments:
        ids = submissions_select(actor, form, filters, Submission.id)
        media = (select(Attachment.name, Attachment.sha256).where(
            Attachment.submission_id.in_(ids), Attachment.is_received.is_(True)).order_by(Attachment.id))

    def generate():
        pipe = _Pipe()
        with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as archive:
            for name, header, table, columns, query in entries:
                rows = (_main_rows(query, columns, lang, tz) if table.path is None
                        else _repeat_rows(table, query, columns, lang))
                yield from _csv_entry(archive, pipe, name, header, rows)
            if media is not None:
                yield from _media(archive, pipe, media)
        yield pipe.take()
    return form, generate()
