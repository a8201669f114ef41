"""Form benchmark: reading workbooks saved with formatted empty rows, converting the corpus, decrypting.

    .venv/bin/python bench/forms.py [--formatted-rows 200000] [--encrypted 200]

Prints: seconds to read (and convert) an .xlsx whose survey sheet has N formatted but empty rows
(as spreadsheets saved with a styled column have; Excel's limit is 1,048,576), the time to convert each
corpus form with pyxform and to run ODK Validate on it, and the time to decrypt M submissions
encrypted as ODK Collect does (2048-bit RSA, two 100 kB photos each). Pure library calls: no server.
"""
import argparse
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "data" / "forms"))
sys.path.insert(0, str(ROOT / "tests" / "sync"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formatted-rows", type=int, default=200_000)
    parser.add_argument("--encrypted", type=int, default=200)
    parser.add_argument("--no-validate", action="store_true", help="skip ODK Validate (needs java)")
    args = parser.parse_args()

    import corpus
    from collect_crypto import encrypt_submission, new_key_pair

    from forms import encryption, xlsform

    form = corpus.lone_sheet()
    form.formatted_rows = args.formatted_rows
    started = time.perf_counter()
    data = form.data
    written = time.perf_counter() - started
    started = time.perf_counter()
    converted = xlsform.convert(data, filename=form.filename)
    print(f"workbook with {args.formatted_rows} formatted empty rows ({len(data) / 1e6:.1f} MB, written in "
          f"{written:.1f} s): read and converted in {time.perf_counter() - started:.2f} s "
          f"-> {len(converted.sheets['Sheet1'])} rows with content")

    for item in corpus.plain_forms():
        if item.formatted_rows:
            continue
        started = time.perf_counter()
        converted = xlsform.convert(item.data, filename=item.filename)
        convert_s = time.perf_counter() - started
        validate = ""
        if not args.no_validate:
            from pyxform.validators import odk_validate
            path = Path(f"/tmp/lianhu-bench-{os.getpid()}.xml")
            path.write_text(converted.xml, encoding="utf-8")
            started = time.perf_counter()
            odk_validate.check_xform(str(path))
            validate = f", ODK Validate {time.perf_counter() - started:.2f} s"
            path.unlink()
        print(f"{item.filename}: converted in {convert_s * 1000:.0f} ms{validate}")

    public, private_pem = new_key_pair()
    key = encryption.load_private_key(private_pem)
    photos = {"a.jpg": os.urandom(100_000), "b.jpg": os.urandom(100_000)}
    sealed = []
    for _ in range(args.encrypted):
        instance_id = f"uuid:{uuid.uuid4()}"
        xml = f"<data id='sealed' version='1'><secret>x</secret><meta><instanceID>{instance_id}</instanceID>" \
              "</meta></data>".encode()
        manifest, files = encrypt_submission(public, "sealed", "1", instance_id, xml, photos)
        sealed.append((encryption.read_manifest(manifest), files))
    started = time.perf_counter()
    for manifest, files in sealed:
        encryption.decrypt_submission(key, manifest, files)
    elapsed = time.perf_counter() - started
    print(f"decrypted {args.encrypted} submissions (2 x 100 kB photos each) in {elapsed:.2f} s: "
          f"{elapsed / max(args.encrypted, 1) * 1000:.1f} ms per submission")


if __name__ == "__main__":
    main()
