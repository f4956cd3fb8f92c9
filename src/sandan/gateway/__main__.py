"""``python -m sandan.gateway --config gateway.toml``: the gateway without the platform's CLI."""

from sandan.gateway.cli import app

app(prog_name="sandan gateway")
