"""The demo complex: 광양 with a real steel plant and synthetic tenants, and a live simulator."""
