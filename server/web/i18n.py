"""The zh catalogue: msgids are English, server/translations/zh/LC_MESSAGES/messages.po is the source."""
import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def compile_catalogues(app=None) -> list[Path]:
    """Compile each .po whose .mo is missing or older (`make` does the same with pybabel compile)."""
    compiled = []
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        try:
            partial = mo.with_suffix(f".{os.getpid()}.tmp")
            with partial.open("wb") as target:
                write_mo(target, catalog)
            os.replace(partial, mo)  # atomic: a parallel worker never reads half a file
        except OSError as exc:  # a read-only install must ship compiled catalogues
            if app is not None:
                app.logger.warning("cannot compile %s: %s", po, exc)
            continue
        compiled.append(mo)
    return compiled
