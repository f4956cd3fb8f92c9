"""Complex → Company → Site → Asset tree (ISA-95) → Point: the platform's core data model."""
