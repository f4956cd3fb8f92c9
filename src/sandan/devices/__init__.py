"""Simulated field devices for tests and the demo, speaking the real protocols (pymodbus, asyncua)."""
