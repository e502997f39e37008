"""A figure's definition and the chain of models it comes from, as dbt's manifest states them
(the descriptions of the yml files, the ``depends_on`` graph): nothing is restated here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

KPI_MODEL = "mart_briefing_kpis"


@dataclass(frozen=True)
class ChainNode:
    depth: int
    name: str  # model or seed name, or raw.<table> for a source
    kind: str  # model | seed | source
    layer: str  # the schema: staging, intermediate, marts, ... or raw
    description: str  # its first sentence


class DbtDocs:
    """dbt's manifest (``dbt_project/target/manifest.json``), read once."""

    def __init__(self, manifest: Path):
        self.path = Path(manifest)
        data = json.loads(self.path.read_text(encoding="utf-8"))
        self.nodes = {**data["nodes"], **data["sources"]}
        self.project = data["metadata"].get("project_name", "nhcs")

    def _id(self, model: str) -> str:
        return f"model.{self.project}.{model}"

    def has_model(self, model: str) -> bool:
        return self._id(model) in self.nodes

    def column_doc(self, model: str, column: str) -> str:
        node = self.nodes.get(self._id(model), {})
        return (node.get("columns", {}).get(column, {}) or {}).get("description", "") or ""

    def columns(self, model: str) -> list[str]:
        return list(self.nodes.get(self._id(model), {}).get("columns", {}))

    def model_doc(self, model: str) -> str:
        return self.nodes.get(self._id(model), {}).get("description", "") or ""

    def chain(self, model: str) -> list[ChainNode]:
        """The models upstream of ``model`` down to the raw sources, depth first, each once."""
        out: list[ChainNode] = []
        seen: set[str] = set()

        def visit(uid: str, depth: int) -> None:
            if uid in seen or uid not in self.nodes:
                return
            seen.add(uid)
            n = self.nodes[uid]
            kind = n["resource_type"]
            name = f"{n['source_name']}.{n['name']}" if kind == "source" else n["name"]
            layer = n.get("schema") or ""
            out.append(ChainNode(depth, name, kind, layer, _first_sentence(n.get("description"))))
            for parent in (n.get("depends_on") or {}).get("nodes", []):
                visit(parent, depth + 1)

        visit(self._id(model), 0)
        return out


def _first_sentence(text: str | None) -> str:
    text = " ".join((text or "").split())
    for stop in (". ", ": "):
        if stop in text:
            return text.split(stop, 1)[0] + "."
    return text
