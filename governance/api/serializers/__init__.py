"""API serializers of governance, one module per entity."""
