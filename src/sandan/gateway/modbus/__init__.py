"""Modbus TCP adapter: a register map per device, polled on a schedule (pymodbus client)."""
