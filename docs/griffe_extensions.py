"""Griffe extensions for the API page (docs/api.md); configured in mkdocs.yml.

mkdocstrings reads the package statically, without importing it, and renders docstrings
as Markdown. Two things in minee's docstrings need help:

- :class:`RuntimeDocstrings`: a few docstrings are completed when their module is imported
  (``mi_matrix.__doc__ = ...`` fills in the arguments ``mi_matrix`` and ``relevance``
  share; ``prepare_batch.__doc__ = batch_doc(...)``). For a function whose module assigns
  its ``__doc__``, the imported function's docstring is used.
- :class:`SphinxRoles`: cross-references are written as Sphinx roles
  (``:class:`~minee.Estimate```), which Markdown would show as they are. Each becomes
  code, linked (by mkdocs-autorefs) where the site documents its target under any of its
  names (``minee.results.Estimate`` links to ``minee.Estimate``), without a warning where
  it does not (internal names). Nothing is changed in the source.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import Any

import griffe

#: a Sphinx role: :class:`target`, :func:`~minee.x.name` (shown as "name"), :py:data:`...`
ROLE = re.compile(r":(?:py:)?[a-z]+:`(~?)([\w.]+)`")


def own_objects(obj: griffe.Object) -> Iterator[griffe.Object]:
    """``obj`` and every object defined inside it (aliases, i.e. imported names, skipped)."""
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from own_objects(member)


class RuntimeDocstrings(griffe.Extension):
    """Use the imported docstring of every function whose module assigns its ``__doc__``."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader,
                   **kwargs: Any) -> None:
        sources: dict[Path, str] = {}
        for obj in own_objects(pkg):
            path = obj.module.filepath
            if not isinstance(obj, griffe.Function) or not isinstance(path, Path):
                continue
            source = sources.setdefault(path, path.read_text())
            if not re.search(rf"^\s*{re.escape(obj.name)}\.__doc__\s*=", source, re.MULTILINE):
                continue
            doc = getattr(griffe.dynamic_import(obj.path), "__doc__", None)
            if not doc:
                continue
            if obj.docstring is not None:
                obj.docstring.value = inspect.cleandoc(doc)
            else:
                obj.docstring = griffe.Docstring(inspect.cleandoc(doc), parent=obj,
                                                 parser=loader.docstring_parser,
                                                 parser_options=loader.docstring_options)


class SphinxRoles(griffe.Extension):
    """Turn the Sphinx roles of every docstring into Markdown: code, linked where it can be."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        for obj in own_objects(pkg):
            if obj.docstring is not None:
                obj.docstring.value = ROLE.sub(partial(self.markdown, obj),
                                               obj.docstring.value)

    @staticmethod
    def markdown(obj: griffe.Object, match: re.Match[str]) -> str:
        """The role as an optional cross-reference: a link where the page documents its
        target (under any of its names), else plain code, and no warning."""
        tilde, target = match.groups()
        head, _, rest = target.partition(".")
        path = target
        if head != obj.package.name:  # a name relative to the docstring's scope
            with suppress(griffe.NameResolutionError):
                path = obj.resolve(head) + (f".{rest}" if rest else "")
        shown = target.rsplit(".", 1)[-1] if tilde else target
        return f'<autoref identifier="{path}" optional><code>{shown}</code></autoref>'
