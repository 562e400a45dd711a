"""The migrate summary: each failure group shows what its first line's error adds."""

from __future__ import annotations

from pathlib import Path

import pytest

from qlik_dataproducts.cli import main

ERRORS_CATALOGUE = (
    Path(__file__).resolve().parent.parent / "examples" / "catalogue-with-errors.jsonl"
)


@pytest.fixture
def summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    main(
        [
            "migrate",
            "--emulator",
            "--quiet",
            str(ERRORS_CATALOGUE),
            "--docs-dir",
            str(tmp_path / "docs"),
            "--results",
            str(tmp_path / "results.jsonl"),
        ]
    )
    return capsys.readouterr().out


def test_conflict_names_existing_product(summary: str) -> None:
    assert "line 11: A data product named 'Quarterly Revenue Bridge' already exists" in summary


def test_invalid_json_shows_column(summary: str) -> None:
    assert "line 2: Expecting ',' delimiter at column" in summary


def test_validation_shows_value_once(summary: str) -> None:
    assert "line 4: invalid name='Trailing space product '\n" in summary


def test_points_to_results_file(summary: str) -> None:
    assert "Every failed line's full error is in" in summary
