"""An earlier migration's module, loaded by its file name, for a migration that builds on its SQL
(migration files are not importable by name: they live outside any package)."""
import importlib.util
from pathlib import Path

VERSIONS = Path(__file__).with_name("versions")


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, VERSIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
