"""The ``chainsleuth`` command: one group per area, thin commands over domain packages."""

from chainsleuth.cli._app import app
from chainsleuth.cli.ops import db_app, jobs_app

app.add_typer(db_app, name="db")
app.add_typer(jobs_app, name="jobs")

__all__ = ["app"]
