"""Use cases: the only layer that commits. Each function is one unit of work."""
from flask import current_app


def page_token_secret() -> str | bytes:
    """The key this server signs its page tokens with (search/paging.py): its SECRET_KEY."""
    return current_app.config["SECRET_KEY"]
