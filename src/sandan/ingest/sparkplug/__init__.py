"""Sparkplug B in: births map metrics (and aliases) to points, data becomes readings, deaths mark offline."""
