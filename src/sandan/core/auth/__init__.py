"""Users, organisations, memberships with roles, tokens, and the one access policy."""
