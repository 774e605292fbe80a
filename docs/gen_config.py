"""The configuration reference, generated from the config dataclasses themselves.

Every section of :class:`turinglearn.config.Config` and :class:`turinglearn.config.gan.GANConfig`,
and every registered environment's settings class, becomes one table: key, type, default and
meaning. The meaning is read from the class's docstring, where each key is introduced as
``key: meaning`` (several keys may share one: ``a / b: ...``, ``lr, beta1, beta2: ...``), from
its bases' docstrings (``ModelConfig`` inherits ``ESConfig``'s keys), or, for an environment, from
the settings table of its module docstring. A key with no meaning anywhere is an error:
``docs/hooks.py`` runs this while the site builds, so a new setting without a description fails
``mkdocs build --strict``.

``python docs/gen_config.py`` prints the page's generated part.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import re
import sys
import typing

HEAD = re.compile(
    r"(?:^|(?<=[;:.)]\s)|(?<=\n))\s*(?:``)?"
    r"(?P<names>[a-z_][a-z0-9_]*(?:(?:``)?\s*(?:/|,|and)\s*(?:``)?[a-z_][a-z0-9_]*)*)"
    r"(?:``)?\s*:(?!:)",
)


class UndescribedKey(Exception):
    """A config key whose meaning no docstring gives."""


def _heads(doc: str, keys: set[str]) -> list[tuple[int, int, list[str]]]:
    """(start, end, names) of every ``key: `` head in ``doc`` whose names are all keys."""
    out = []
    for m in HEAD.finditer(doc):
        names = [n for n in re.split(r"(?:``)?\s*(?:/|,|\band\b)\s*(?:``)?", m["names"]) if n]
        if names and all(n in keys for n in names):
            out.append((m.start(), m.end(), names))
    return out


def _clean(text: str) -> str:
    """One line of Markdown from a stretch of reST-ish docstring."""
    text = re.sub(r":mod:`~?([^`]+)`", r"`\1`", text)
    text = re.sub(r":(?:class|func|meth|attr):`~?([^`]+)`", lambda m: f"`{m[1].split('.')[-1]}`", text)
    text = text.replace("``", "`")
    text = " ".join(text.split()).strip().rstrip(";").strip()
    return text.rstrip(".").replace("|", "\\|")


def docstring_meanings(doc: str | None, keys: set[str]) -> dict[str, str]:
    """The meaning of each key introduced in ``doc`` as ``key: meaning``."""
    if not doc:
        return {}
    doc = inspect.cleandoc(doc)
    heads = _heads(doc, keys)
    out: dict[str, str] = {}
    for i, (_, end, names) in enumerate(heads):
        stop = heads[i + 1][0] if i + 1 < len(heads) else len(doc)
        body = doc[end:stop].split("\n\n")[0]  # a key's meaning ends with its paragraph
        meaning = _clean(body)
        for n in names:
            out.setdefault(n, meaning)
    return out


def rst_table_meanings(doc: str | None, keys: set[str]) -> dict[str, str]:
    """Meanings from a reST simple table ``setting  default  meaning`` (continuation lines indented)."""
    if not doc:
        return {}
    out: dict[str, str] = {}
    current = None
    for line in inspect.cleandoc(doc).splitlines():
        m = re.match(r"^([a-z_][a-z0-9_]*)\s{2,}(\S+)\s{2,}(.+)$", line)
        if m and m[1] in keys:
            current = m[1]
            out[current] = m[3]
        elif current and re.match(r"^\s{10,}\S", line):
            out[current] += " " + line.strip()
        else:
            current = None
    return {k: _clean(v) for k, v in out.items()}


def _type_name(tp) -> str:
    if isinstance(tp, type):
        return tp.__name__
    text = str(tp).replace("typing.", "").replace("collections.abc.", "")
    return re.sub(r"\b(?:[a-z_]+\.)+([A-Za-z_]+)", r"\1", text)


def _default(f: dataclasses.Field, instance=None) -> str:
    if instance is not None:
        value = getattr(instance, f.name)
    elif f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    else:
        return "(required)"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        value = list(value)
    return f"`{value}`"


def meanings(cls, extra_doc: str | None = None) -> dict[str, str]:
    """Every key's meaning from ``cls``'s docstring, its bases', then ``extra_doc``'s table."""
    keys = {f.name for f in dataclasses.fields(cls)}
    out: dict[str, str] = {}
    for klass in cls.__mro__:
        if dataclasses.is_dataclass(klass):
            for k, v in docstring_meanings(klass.__doc__, keys).items():
                out.setdefault(k, v)
    for k, v in rst_table_meanings(extra_doc, keys).items():
        out.setdefault(k, v)
    return out


def table(cls, *, skip=(), extra_doc: str | None = None, section: str = "", instance=None) -> str:
    """A Markdown table of ``cls``'s keys (not its sub-sections), defaults from ``instance`` if
    given (a section's defaults are those its parent config gives it); UndescribedKey if a key
    has no meaning."""
    hints = typing.get_type_hints(cls)
    found = meanings(cls, extra_doc)
    rows, missing = [], []
    for f in dataclasses.fields(cls):
        if f.name in skip or dataclasses.is_dataclass(hints[f.name]):
            continue
        if f.name not in found:
            missing.append(f.name)
            continue
        rows.append(f"| `{f.name}` | `{_type_name(hints[f.name])}` | {_default(f, instance)} | {found[f.name]} |")
    if missing:
        where = f"{cls.__module__}.{cls.__qualname__}"
        raise UndescribedKey(
            f"{section or where}: no description of {', '.join(missing)} in the docstring of {where} "
            "(introduce each key as 'key: meaning')"
        )
    return "\n".join(["| key | type | default | meaning |", "|---|---|---|---|", *rows])


def _summary(cls) -> str:
    doc = inspect.cleandoc(cls.__doc__ or "")
    first = doc.split("\n\n")[0]
    first = re.split(r"(?<=[.])\s", first)[0] if ":" in first.split(".")[0] else first
    return _clean(first)


def _sections(root) -> list[tuple[str, type]]:
    hints = typing.get_type_hints(root)
    return [(f.name, hints[f.name]) for f in dataclasses.fields(root) if dataclasses.is_dataclass(hints[f.name])]


def reference() -> str:
    """The generated part of docs/configuration.md."""
    from turinglearn.config.gan import GANConfig
    from turinglearn.config.sections import Config, EnvironmentConfig
    from turinglearn.environments import ENVIRONMENTS, config_class

    defaults, gan_defaults = Config(), GANConfig()
    out = ["## Evolutionary runs (`Config`)", "", "Top-level keys.", "", table(Config, section="Config"), ""]
    for name, cls in _sections(Config):
        out += [f"### `[{name}]`", ""]
        if cls is EnvironmentConfig:
            out += [
                "`environment.id` picks the environment; every other key of the table is one of that "
                "environment's own settings, listed [below](#environments).",
                "",
                table(cls, skip=("options",), section="[environment]"),
                "",
            ]
        else:
            out += [f"`{cls.__name__}`. " + _first_sentence(cls), ""]
            out += [table(cls, section=f"[{name}]", instance=getattr(defaults, name)), ""]
    out += ["## GAN runs (`GANConfig`, `learner.kind = \"gan\"`)", "", table(GANConfig, section="GANConfig"), ""]
    for name, cls in _sections(GANConfig):
        out += [f"### GAN `[{name}]`", "", f"`{cls.__name__}`. " + _first_sentence(cls), ""]
        out += [table(cls, section=f"GAN [{name}]", instance=getattr(gan_defaults, name)), ""]
    out += [
        "## Environments",
        "",
        "The keys of `[environment]` besides `id`, per environment (`turinglearn envs` lists them).",
        "",
    ]
    for env_id, entry in ENVIRONMENTS.items():
        cls = config_class(env_id)
        module_doc = sys.modules[cls.__module__].__doc__
        out += [f"### `{env_id}`", "", _clean(entry.description) + ".", ""]
        out += [table(cls, extra_doc=module_doc, section=env_id), ""]
    return "\n".join(out)


def _first_sentence(cls) -> str:
    doc = inspect.cleandoc(cls.__doc__ or "")
    first = doc.split("\n\n")[0].split("\n")[0]
    if HEAD.match(first):  # the docstring starts with a key: no summary line
        return ""
    return _clean(first)


if __name__ == "__main__":
    print(reference())
