"""CSV drop folder adapter: files written into a folder are buffered, then moved to ``done/``."""
