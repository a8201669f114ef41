"""Streamed writers: CSV and GeoJSON chunk by chunk, XLSX through openpyxl's write-only mode."""
import csv
import io
import json
import os
import tempfile
from itertools import islice

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

CHUNK_ROWS = 1000
XLSX_MAX_ROWS = 1_048_575  # a sheet's rows, less the header


def csv_chunks(columns, rows):
    """UTF-8 CSV with a BOM (so Excel reads Chinese), in chunks of rows (None is written empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(columns)
    rows = iter(rows)
    while batch := list(islice(rows, CHUNK_ROWS)):
        writer.writerows(batch)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_value(value):
    """A value a worksheet accepts: None as empty, control characters (which XLSX forbids) removed."""
    if value is None:
        return ""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def xlsx_chunks(columns, rows, title="export"):
    """An XLSX file written row by row (flat memory) to a temporary file, then streamed out."""
    workbook = Workbook(write_only=True)
    sheet, count, number = None, XLSX_MAX_ROWS, 0
    for row in rows:
        if count == XLSX_MAX_ROWS:  # a new sheet when one is full
            number += 1
            sheet = workbook.create_sheet(title if number == 1 else f"{title}-{number}")
            sheet.append(list(columns))
            count = 0
        sheet.append([xlsx_value(v) for v in row])
        count += 1
    if sheet is None:
        workbook.create_sheet(title).append(list(columns))
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
        with open(path, "rb") as file:
            while chunk := file.read(256 * 1024):
                yield chunk
    finally:
        os.unlink(path)


def geojson_chunks(columns, rows, lat="lat", lon="lon"):
    """A GeoJSON FeatureCollection: a Point from the lat/lon columns, every column as a property."""
    lat_at, lon_at = columns.index(lat), columns.index(lon)
    yield b'{"type":"FeatureCollection","features":['
    parts, separator = [], ""
    for row in rows:
        y, x = row[lat_at], row[lon_at]
        geometry = {"type": "Point", "coordinates": [x, y]} if x is not None and y is not None else None
        feature = {"type": "Feature", "geometry": geometry, "properties": dict(zip(columns, row))}
        parts.append(json.dumps(feature, ensure_ascii=False, default=str))
        if len(parts) == CHUNK_ROWS:
            yield (separator + ",".join(parts)).encode("utf-8")
            parts, separator = [], ","
    if parts:
        yield (separator + ",".join(parts)).encode("utf-8")
    yield b"]}"


WRITERS = {
    "csv": (csv_chunks, "text/csv; charset=utf-8"),
    "xlsx": (xlsx_chunks, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "geojson": (geojson_chunks, "application/geo+json"),
}
