"""MkDocs hooks (``hooks:`` in mkdocs.yml).

- ``configuration.md`` holds the tables that :mod:`gen_config` generates from the config classes;
  the build fails while they are out of date (``python docs/gen_config.py --write``) or a key has
  no description.
- The notebooks live in ``notebooks/`` at the repository root (where ``python -m pytest`` executes
  them); they are added to the site's files as ``notebooks/NAME.ipynb`` before mkdocs-jupyter
  renders them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _gen_config():
    spec = importlib.util.spec_from_file_location("gen_config", HERE / "gen_config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@event_priority(100)  # before mkdocs-jupyter turns .ipynb files into pages
def on_files(files, config):
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        uri = f"notebooks/{path.name}"
        if files.get_file_from_path(uri) is None:
            files.append(
                File(uri, src_dir=str(ROOT), dest_dir=config["site_dir"], use_directory_urls=config["use_directory_urls"])
            )
    return files


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri != "configuration.md":
        return markdown
    gen = _gen_config()
    try:
        current = gen.page(markdown)
    except (ValueError, gen.UndescribedKey) as e:
        raise PluginError(f"configuration reference: {e}") from None
    if current != markdown:
        raise PluginError(
            "docs/configuration.md is out of date with the config classes: run python docs/gen_config.py --write"
        )
    return markdown
