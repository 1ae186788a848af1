"""The README documents every config key and keeps the two set-up commands; CI runs the second."""

import pytest

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


def _python_blocks(text: str) -> list[str]:
    blocks, current = [], None
    for line in text.splitlines():
        if line.startswith("```python"):
            current = []
        elif line.startswith("```") and current is not None:
            blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


@pytest.mark.slow
def test_the_readme_python_blocks_run_as_written(repo, tmp_path, monkeypatch):
    """Every ```python block of the README, run as a user would from a checkout."""
    blocks = _python_blocks((repo / "README.md").read_text())
    assert blocks, "the README has no Python example"
    (tmp_path / "configs").symlink_to(repo / "configs")
    monkeypatch.chdir(tmp_path)
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    assert (tmp_path / "tau0.5.nc").is_file()
