"""A regular install ships every subpackage: pyproject.toml lists packages by name (because
turinglearn.environments lives in environments/), so a new subpackage must be added there.
Editable installs find subpackages by path and would not notice."""

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "turinglearn").rglob("__init__.py")
    }
    on_disk |= {
        "turinglearn.environments"
        + "".join(f".{q}" for q in p.parent.relative_to(ROOT / "environments").parts)
        for p in (ROOT / "environments").rglob("__init__.py")
    }
    assert on_disk <= listed, (
        f"add to [tool.setuptools] packages in pyproject.toml: {sorted(on_disk - listed)}"
    )
    assert config["package-dir"]["turinglearn.environments"] == "environments"
