"""Regenerate the configuration reference in README.md from the pydantic schema."""

from pathlib import Path

from escapade.config import reference_markdown

START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"

readme = Path(__file__).resolve().parents[1] / "README.md"
text = readme.read_text()
head, rest = text.split(START)
_, tail = rest.split(END)
readme.write_text(f"{head}{START}\n{reference_markdown()}\n{END}{tail}")
