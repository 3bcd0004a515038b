"""API views of governance, one module per entity."""
