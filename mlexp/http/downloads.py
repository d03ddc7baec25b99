"""File downloads, one way for the API and the pages: what `curl -O` and MLflow's client expect."""
import os

from flask import send_file


def attachment(path: str):
    """The file as an octet-stream attachment named after it, with Content-Length and Range
    support to resume, never cached; headers.py adds nosniff, as it does to every response."""
    return send_file(path, as_attachment=True, download_name=os.path.basename(path),
                     mimetype="application/octet-stream", conditional=True, max_age=0)
