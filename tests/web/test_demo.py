"""`flask --app app demo` fills an empty instance so every page shows something."""
from mlexp.cli import demo_command


def test_demo_fills_pages_when_instance_is_empty(app, client):
    result = app.test_cli_runner().invoke(demo_command)
    assert result.exit_code == 0, result.output
    assert "3 experiments, 30 runs" in result.output
    assert "image-classifier" in client.get("/").get_data(as_text=True)
    run_page = client.get("/experiments/1/runs/1").get_data(as_text=True)
    assert "<polyline" in run_page and "plots/confusion.png" in run_page
    image = client.get("/experiments/1/runs/1/images/plots/confusion.png")
    assert image.data.startswith(b"\x89PNG")
    assert "gitlab.CI_JOB_ID" in run_page


def test_demo_refuses_when_instance_has_runs(app, client, api):
    api.create_run("0")
    result = app.test_cli_runner().invoke(demo_command)
    assert result.exit_code != 0
    assert "empty instance" in result.output
