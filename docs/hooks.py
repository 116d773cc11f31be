"""MkDocs hook: build the site from the repository's own layout.

``README.md`` is the home page, the pages under ``docs/`` keep their ``docs/`` prefix and
``benchmarks/README.md`` (with its figures) is included, so every relative link that works
when reading the files in the repository works on the site too, unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]

#: the repository's files that make up the site (pages and the images they show)
PATTERNS = ("README.md", "docs/**/*.md", "docs/**/*.png", "benchmarks/README.md",
            "benchmarks/*.png")


def on_files(files: Files, config: Any) -> Files:
    """Replace the files found in ``docs_dir`` by :data:`PATTERNS`, read from the root;
    the theme's own files (CSS, scripts) are kept."""
    docs_dir = Path(config["docs_dir"]).resolve()
    kept = [f for f in files if Path(f.abs_src_path or "").resolve().parent != docs_dir
            and docs_dir not in Path(f.abs_src_path or "").resolve().parents]
    paths = sorted({p.relative_to(ROOT).as_posix() for pattern in PATTERNS
                    for p in ROOT.glob(pattern) if p.is_file()})
    return Files(kept + [File(path, str(ROOT), config["site_dir"], config["use_directory_urls"])
                         for path in paths])
