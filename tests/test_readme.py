"""The README documents every config key and keeps the two set-up commands; CI runs the second."""

from escapade.config import Config


def test_readme_lists_every_config_key(repo):
    text = (repo / "README.md").read_text()
    for section, field in Config.model_fields.items():
        for key in field.annotation.model_fields:
            assert f"`{section}.{key}`" in text, f"{section}.{key} missing from README"


def test_ci_runs_the_readme_test_command(repo):
    readme = (repo / "README.md").read_text()
    ci = (repo / ".ci" / "run").read_text()
    assert 'pip install ".[test]" && python -m pytest' in readme
    assert 'pip install ".[test]" && python -m pytest' in ci
    assert "pip install . && escapade reproduce --out results/" in readme
    assert "escapade run configs/letter_tau0.85.toml -o out.nc" in readme
