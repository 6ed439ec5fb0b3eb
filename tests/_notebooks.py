"""Reading saved notebooks in tests: the file, and what each cell shows a reader."""

import json


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def joined(text):
    return "".join(text) if isinstance(text, list) else text


def shown(cell):
    """What a cell shows a reader: a markdown cell's text, a code cell's text outputs."""
    if cell["cell_type"] == "markdown":
        return joined(cell["source"])
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(joined(output["text"]))
        data = output.get("data", {})
        for mime in ("text/markdown", "text/plain"):
            if mime in data:
                parts.append(joined(data[mime]))
                break
    return "\n".join(parts)
