"""migrate --overwrite: a second run replaces the output of the first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qlik_dataproducts.cli import main

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "examples" / "catalogue-with-errors.jsonl"


@pytest.fixture(autouse=True)
def no_tenant_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QLIK_TENANT_URL", raising=False)
    monkeypatch.delenv("QLIK_API_KEY", raising=False)


def run(tmp_path: Path, *options: str) -> int:
    return main(
        [
            "migrate",
            "--emulator",
            "--quiet",
            *options,
            str(CATALOGUE),
            "--docs-dir",
            str(tmp_path / "docs"),
            "--results",
            str(tmp_path / "results.jsonl"),
        ]
    )


def test_overwrite_replaces_earlier_run(tmp_path: Path) -> None:
    run(tmp_path)
    first_docs = set((tmp_path / "docs").iterdir())

    status = run(tmp_path, "--overwrite")

    second_docs = set((tmp_path / "docs").iterdir())
    lines = (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()
    named = {Path(path) for path in (json.loads(line).get("docs") for line in lines) if path}
    assert status == 1  # the errors catalogue always has failed lines
    assert len(second_docs) == len(first_docs)
    assert second_docs == named


def test_overwrite_keeps_other_files(tmp_path: Path) -> None:
    run(tmp_path)
    keep = tmp_path / "docs" / "notes.txt"
    keep.write_text("mine", encoding="utf-8")

    run(tmp_path, "--overwrite")

    assert keep.read_text(encoding="utf-8") == "mine"


def test_overwrite_results_name_new_ids(tmp_path: Path) -> None:
    run(tmp_path)
    run(tmp_path, "--overwrite")

    lines = (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()
    docs = [json.loads(line).get("docs") for line in lines]
    assert all(Path(path).is_file() for path in docs if path)


def test_overwrite_with_resume_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path, "--overwrite", "--resume") == 2
    assert "contradict" in capsys.readouterr().err


def test_earlier_output_stops_before_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(tmp_path)
    capsys.readouterr()

    status = run(tmp_path)

    error = capsys.readouterr().err
    assert status == 2
    assert "--overwrite" in error
    assert "listening" not in error
