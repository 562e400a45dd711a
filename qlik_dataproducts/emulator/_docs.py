"""Render the Markdown response of export-documentation and check the Accept header."""

from __future__ import annotations

from typing import Any

__all__ = ["accepts_markdown", "render_documentation"]


def accepts_markdown(accept: str | None) -> bool:
    """Return whether an `Accept` header allows `text/markdown` (an absent header does)."""
    if accept is None or not accept.strip():
        return True
    for media_range in accept.split(","):
        media_type, *parameters = (part.strip() for part in media_range.split(";"))
        quality = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0 and media_type.lower() in ("*/*", "text/*", "text/markdown"):
            return True
    return False


def _cell(text: str) -> str:
    """Escape a value for a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _list_or_none(values: list[str]) -> str:
    return ", ".join(values) if values else "none"


def render_documentation(product: dict[str, Any]) -> str:
    """Render one product as Markdown with the sections the service exports."""
    lines = [f"# {product['name']}", ""]
    if product.get("description"):
        lines += [product["description"], ""]

    lines += ["## Readme", "", product.get("readMe") or "_No readme._", ""]

    lines += ["## Key contacts", ""]
    if product["keyContacts"]:
        lines += ["| Name | Role |", "| --- | --- |"]
        lines += [
            f"| {_cell(contact['userId'])} | {_cell(contact.get('role', ''))} |"
            for contact in product["keyContacts"]
        ]
    else:
        lines.append("_No key contacts._")
    lines.append("")

    lines += [
        "## Metadata",
        "",
        f"- Id: {product['id']}",
        f"- QRI: {product['qri']}",
        f"- Space: {product.get('spaceId', 'personal')}",
        f"- Owner: {product['ownerId']}",
        f"- Created: {product['createdAt']} by {product['createdBy']}",
        f"- Updated: {product['updatedAt']} by {product['updatedBy']}",
        f"- Activated: {'yes' if product.get('activated') else 'no'}",
        f"- Tags: {_list_or_none(product['tags'])}",
        f"- Glossary terms: {_list_or_none(product['glossaryIds'])}",
        "",
    ]

    lines += ["## Data Quality", ""]
    quality = product.get("quality")
    trust_score = product.get("trustScore")
    if quality is None and trust_score is None:
        lines.append("_No data quality information._")
    if quality is not None:
        lines += [
            f"- Validity: {quality['validity']}",
            f"- Completeness: {quality['completeness']}",
        ]
    if trust_score is not None:
        lines.append(f"- Trust score: {trust_score['score']}")
    lines.append("")

    dataset_ids = product["datasetIds"]
    consumable = set(product["apiConsumableDatasetIds"])
    lines += [f"## Datasets ({len(dataset_ids)})", ""]
    for dataset_id in dataset_ids:
        suffix = " (API consumable)" if dataset_id in consumable else ""
        lines.append(f"- {dataset_id}{suffix}")
    if not dataset_ids:
        lines.append("_No datasets._")
    return "\n".join(lines) + "\n"
