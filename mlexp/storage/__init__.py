"""Storage: the database engine, schema revisions and migrations (with adoption of databases made
before migrations), WAL checkpoints, backup and restore, and SQL written once for both dialects."""
