"""The realism comparison as a figure: one bar panel per distribution, simulated beside real."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
import numpy as np

from chainsleuth.simulate.realism import Measure

_UNITS = {
    "outputs per tx": "% of transactions",
    "inputs per tx": "% of transactions",
    "change position": "% of 2-output payments",
}


def plot_realism(rows: list[Measure], path: Path, *, title: str) -> Path:
    """Write a PNG of ``rows`` (from :func:`~chainsleuth.simulate.realism.compare`)."""
    names = list(dict.fromkeys(r.measure for r in rows))
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    for ax, name in zip(axes.flat, names, strict=True):
        part = [r for r in rows if r.measure == name]
        x = np.arange(len(part))
        ax.bar(x - 0.2, [100 * r.simulated for r in part], 0.4, label="simulated")
        ax.bar(x + 0.2, [100 * r.real for r in part], 0.4, label="real mainnet blocks")
        ax.set_xticks(x, [r.bin for r in part], rotation=20 if len(part) > 4 else 0)
        ax.set_title(name)
        ax.set_ylabel(_UNITS.get(name, "% of outputs"))
    axes.flat[0].legend()
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
