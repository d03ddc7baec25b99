"""Wire JSON <-> Python: one request schema per MLflow message, one schema per entity."""
