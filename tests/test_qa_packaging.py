"""QA: what a non-editable install (``pip install .``) ships.

A wheel built from pyproject.toml holds exactly the packages listed there; a subpackage missing
from the list is invisible in an editable install (the source tree is on the path) and breaks
every command that imports it after ``pip install .`` (``pairhmm.engine`` was missing:
``pairhmm align`` failed with ``ModuleNotFoundError: No module named 'pairhmm.engine'``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")


def _config() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["tool"]["setuptools"]


def _package_dirs(config: dict) -> dict[str, Path]:
    """Every folder with an ``__init__.py`` under the mapped package roots, by package name."""
    found = {}
    for name, folder in config["package-dir"].items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            if "__pycache__" in rel.parts:
                continue
            found[".".join([name, *rel.parts]) if rel.parts else name] = init.parent
    return found


def test_every_subpackage_is_listed_for_the_wheel():
    config = _config()
    listed = set(config["packages"])
    present = _package_dirs(config)
    missing = sorted(set(present) - listed)
    assert not missing, f"packages missing from pyproject.toml [tool.setuptools] packages: {missing}"
    assert "pairhmm.engine" in listed


def test_package_data_files_exist():
    """Every package-data pattern matches a file (a preset that is not shipped breaks presets)."""
    config = _config()
    for package, patterns in config.get("package-data", {}).items():
        folder = _folder(config, package)
        for pattern in patterns:
            assert list(folder.glob(pattern)), (package, pattern)


def _folder(config: dict, package: str) -> Path:
    """The source folder of a listed package, through package-dir."""
    parts = package.split(".")
    for i in range(len(parts), 0, -1):
        head = ".".join(parts[:i])
        if head in config["package-dir"]:
            return ROOT / config["package-dir"][head] / Path(*parts[i:])
    return ROOT / Path(*parts)


def test_every_listed_package_exists():
    config = _config()
    for package in config["packages"]:
        assert _folder(config, package).is_dir(), package
