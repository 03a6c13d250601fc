"""Where ecgraph keeps its files between runs (imports, the review queue, the on-disk store, saved watches)."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """Where imports are kept between runs: ``$ECGRAPH_DATA_DIR``, else ``$XDG_DATA_HOME/ecgraph``."""
    if os.environ.get("ECGRAPH_DATA_DIR"):
        return Path(os.environ["ECGRAPH_DATA_DIR"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "ecgraph"
