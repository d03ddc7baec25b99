"""Pages that render Markdown parse a bounded amount of it, whatever was stored or uploaded."""
import pytest
from sqlalchemy import update

from mlexp.web import markdown, runs
from mlexp.web.markdown import MAX_MARKDOWN_CHARS


@pytest.fixture
def parsed(monkeypatch):
    """Lengths of the texts handed to markdown-it, in order."""
    real, seen = markdown._renderer(), []

    class Spy:
        def render(self, text):
            seen.append(len(text))
            return real.render(text)

    monkeypatch.setattr(markdown, "_renderer", Spy)
    return seen


def test_model_page_parses_a_bounded_prefix_when_description_predates_the_limit(app, api, client, parsed):
    from mlexp.extensions import db
    from mlexp.models import RegisteredModel

    api.ok_post("/registered-models/create", {"name": "legacy"})
    with app.app_context():  # stored before descriptions were limited
        db.session.execute(update(RegisteredModel).values(description="![" * 500_000 + "<end>"))
        db.session.commit()
    response = client.get("/models/legacy")
    assert response.status_code == 200
    assert parsed == [MAX_MARKDOWN_CHARS]
    assert "![![&lt;end&gt;</pre>" in response.get_data(as_text=True)


def test_run_page_formats_only_the_first_md_previews_when_a_run_has_many(api, client, parsed):
    experiment_id = api.create_experiment("many-md")
    api.create_run(experiment_id)
    count = runs.MAX_MARKDOWN_PREVIEWS + 2
    for index in range(count):
        client.put(f"/api/2.0/mlflow-artifacts/artifacts/ml_experiment_{experiment_id}/1/n{index}.md",
                   data=b"*note* " + b"![" * 40_000)
    html = client.get(f"/experiments/{experiment_id}/runs/1").get_data(as_text=True)
    assert parsed == [MAX_MARKDOWN_CHARS] * runs.MAX_MARKDOWN_PREVIEWS
    assert html.count("<em>note</em>") == runs.MAX_MARKDOWN_PREVIEWS
    assert html.count('<pre class="preview">*note* ![![') == 2
