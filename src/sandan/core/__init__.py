"""What every domain shares: tenancy, identity and access, units, time, audit and events."""
