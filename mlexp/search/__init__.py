"""MLflow's search language: filter and order_by parsing, paging, and their SQL."""
