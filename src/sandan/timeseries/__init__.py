"""The reading store: idempotent writes, rollups kept current on write, queries with unit conversion."""
