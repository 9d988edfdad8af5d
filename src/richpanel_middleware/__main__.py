"""Allow `python -m richpanel_middleware` as an alias of the `rpmw` command."""

from richpanel_middleware.cli import app

app()
