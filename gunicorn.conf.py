"""gunicorn reads this file from the folder it starts in (README, "Running for a team")."""


def post_worker_init(worker):
    """Each worker checkpoints its SQLite database on a thread of its own, as `python app.py` does
    (mlexp/storage/checkpoints.py). Not done in app.py on import: `flask --app app restore` imports it
    too, and must find the database closed."""
    from mlexp.storage.checkpoints import start_checkpointer

    start_checkpointer(worker.wsgi)
