"""Every UI text of the pinned form engine has a Chinese text (issue 13): the script reads the engine's
bundle (PrimeVue's locale table and web-forms' own literals) and lists what the app lacks."""
import json
import shutil
import subprocess
from pathlib import Path

from .conftest import _unavailable

FIELDAPP = Path(__file__).resolve().parents[2] / "fieldapp"


def _engine_strings() -> dict:
    if shutil.which("node") is None or not (FIELDAPP / "node_modules" / "@getodk" / "web-forms").is_dir():
        _unavailable("node or the field app's node_modules are missing (run make fieldapp)")
    out = subprocess.run(["node", "scripts/engine-strings.mjs"], cwd=FIELDAPP, capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout)


def test_every_engine_text_has_a_chinese_text():
    found = _engine_strings()
    # the reading itself works: both tables are found, with texts known to be in them
    assert found["locale"]["monthNames"][0] == "January" and "close" in found["locale"]["aria"]
    assert {"Get location", "Send", "Condition not satisfied: required", "{} questions with errors.",
            "Location will be saved at {} m"} <= set(found["literals"])
    assert len(found["literals"]) > 60
    assert found["missing"] == [], "add them to fieldapp/src/engineText.js (or primeLocale.js)"
