"""docs/configuration.md's tables are those the config classes generate (docs/gen_config.py)."""

import importlib.util
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("gen_config", DOCS / "gen_config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_configuration_page_is_current(gen):
    text = gen.PAGE.read_text(encoding="utf-8")
    assert gen.page(text) == text, "run python docs/gen_config.py --write"


def test_an_environment_registered_outside_the_package_is_not_listed(gen):
    import faulty_env  # noqa: F401 - registers a test environment without descriptions

    text = gen.PAGE.read_text(encoding="utf-8")
    assert gen.page(text) == text


def test_an_environment_whose_module_is_gone_is_not_read(gen, monkeypatch):
    from turinglearn.environments import ENVIRONMENTS, EnvEntry

    gone = EnvEntry("tl_gone:Env", None, "tl_gone:Sim", "tl_gone:Config", "registered by a module since deleted")
    monkeypatch.setitem(ENVIRONMENTS, "tl_gone:Gone-v0", gone)
    text = gen.PAGE.read_text(encoding="utf-8")
    assert gen.page(text) == text


def test_every_setting_is_on_the_page(gen):
    from turinglearn.config import Config

    text = gen.PAGE.read_text(encoding="utf-8")
    for section, table in Config().to_dict().items():
        for key in table if isinstance(table, dict) else [section]:
            assert f"| `{key}` |" in text, f"{section}.{key}"


def test_a_stale_page_is_told_apart(gen):
    text = gen.PAGE.read_text(encoding="utf-8")
    stale = text.replace("| the one root of all randomness in the run |", "| an old meaning |")
    assert stale != text and gen.page(stale) == text
    with pytest.raises(ValueError, match="lost its markers"):
        gen.page(text.replace(gen.END, ""))
