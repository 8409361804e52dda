"""The ``chainsleuth`` command: one group per area, thin commands over domain packages."""

from chainsleuth.cli import chain as _chain  # noqa: F401  (registers ingest, stats)
from chainsleuth.cli import intel_risk as _intel_risk  # noqa: F401  (registers exposure, risk)
from chainsleuth.cli._app import app
from chainsleuth.cli.cluster import cluster_app
from chainsleuth.cli.intel import intel_app
from chainsleuth.cli.ops import db_app, jobs_app
from chainsleuth.cli.search import search_neighbours, search_path
from chainsleuth.cli.show import show_app
from chainsleuth.cli.simulate import simulate
from chainsleuth.cli.trace import trace_app

app.add_typer(show_app, name="show")
app.add_typer(cluster_app, name="cluster")
app.add_typer(intel_app, name="intel")
app.add_typer(trace_app, name="trace")
app.command("path")(search_path)
app.command("neighbours")(search_neighbours)
app.command()(simulate)
app.add_typer(db_app, name="db")
app.add_typer(jobs_app, name="jobs")

__all__ = ["app"]
