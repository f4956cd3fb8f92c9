"""``sandan simulate modbus|opcua``: run a simulated meter until Ctrl+C."""

from __future__ import annotations

import asyncio
import contextlib

import typer

app = typer.Typer(help="Simulated meters speaking Modbus TCP and OPC UA (for tests and the demo)",
                  no_args_is_help=True)


@app.command("modbus")
def modbus(host: str = "127.0.0.1", port: int = 5020,
           word_order: str = typer.Option("big", help="32-bit word order: big (high word first) or little"),
           unit_id: int = typer.Option(1, min=0, max=255),
           rated_kw: float = typer.Option(400.0, help="rated load of the simulated plant [kW]")) -> None:
    """A 3-phase power meter (energy, power, power factor, voltages, currents); see docs/gateway.md for the map."""
    from sandan.devices.power_meter import PowerMeterModel, PowerMeterServer

    if word_order not in {"big", "little"}:
        raise typer.BadParameter("word order is big or little", param_hint="--word-order")
    server = PowerMeterServer(host, port, word_order=word_order, unit_id=unit_id,  # type: ignore[arg-type]
                              model=PowerMeterModel(rated_kw=rated_kw))
    typer.echo(f"simulated power meter on modbus tcp://{host}:{port} unit {unit_id}, {word_order} word order "
               "(Ctrl+C to stop)")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve_forever())


@app.command("opcua")
def opcua(host: str = "127.0.0.1", port: int = 4840,
          update_interval_s: float = typer.Option(1.0, help="seconds between value updates")) -> None:
    """A natural gas meter (volume Nm3, flow Nm3/h, temperature, pressure) under its own namespace."""
    from sandan.devices.gas_meter import GasMeterServer

    server = GasMeterServer(host, port, update_interval_s=update_interval_s)
    typer.echo(f"simulated gas meter on {server.endpoint} (nodes ns=2;s=GasMeter.Volume|Flow|Temperature|"
               "Pressure; Ctrl+C to stop)")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve_forever())
