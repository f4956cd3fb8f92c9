"""Web UI: layout, shared templates and static files, i18n catalogues."""
