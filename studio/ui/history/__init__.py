"""The history browser: every stored job as a thumbnail grid or a compact list, searchable and
filterable, with lineage and the actions that reuse a job (studio.session.history_browser is
its view-model)."""
