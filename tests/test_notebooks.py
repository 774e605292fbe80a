"""The notebooks are committed without outputs (pytest --nbmake executes them; see pyproject.toml),
and the READMEs link every one of them."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_four_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == [
        "01_aggregation_walkthrough.ipynb",
        "02_interactive_vs_passive.ipynb",
        "03_gan_digits.ipynb",
        "04_bring_your_own_environment.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.name}: code cells {dirty} hold outputs or execution counts; clear them before committing "
        "(Jupyter: Edit > Clear Outputs of All Cells; or `jupyter nbconvert --clear-output --inplace`)"
    )
    assert nb["cells"][0]["cell_type"] == "markdown", f"{path.name} should open with a markdown intro"


@pytest.mark.parametrize("readme", ["README.md", "notebooks/README.md"])
def test_readmes_link_every_notebook(readme):
    text = (ROOT / readme).read_text(encoding="utf-8")
    missing = [p.name for p in NOTEBOOKS if p.name not in text]
    assert not missing, f"{readme} does not link {missing}"
