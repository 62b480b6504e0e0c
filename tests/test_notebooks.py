"""The notebooks are thin: a parameters cell of plain literals, calls into analysis.*, no
definitions, committed without outputs; their defaults run on the shipped corpus."""

import ast
import json

import pytest

from conftest import PROJECT

NOTEBOOKS = sorted((PROJECT / "notebooks").glob("*.ipynb"))


def test_the_four_reports_exist():
    assert [p.name for p in NOTEBOOKS] == ["01-corpus.ipynb", "02-themes.ipynb", "03-compare.ipynb",
                                           "04-profile.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_thin_and_stripped(path):
    book = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in book["cells"] if c["cell_type"] == "code"]
    params = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1 and code.index(params[0]) == 0, "the first code cell is the one tagged parameters"
    tree = ast.parse("".join(params[0]["source"]))
    values = {}
    for node in tree.body:
        assert isinstance(node, ast.Assign), "parameters are plain assignments"
        values[node.targets[0].id] = ast.literal_eval(node.value)  # plain literals only
    assert values["corpus"] == "../corpus" and values["out"] == "../outputs"
    assert values["config"] is None and values["codebook"] is None
    assert values["skip_bad"] is False, "every report takes skip_bad, as the report command passes it"
    assert values["language"] is None, "every report takes language (None: reports.language in the config)"
    for cell in code:
        assert cell.get("outputs") == [] and cell.get("execution_count") is None, "commit notebooks stripped"
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda)), "move definitions to src/analysis"


def test_profile_and_compare_parameters():
    compare = json.loads((PROJECT / "notebooks" / "03-compare.ipynb").read_text(encoding="utf-8"))
    profile = json.loads((PROJECT / "notebooks" / "04-profile.ipynb").read_text(encoding="utf-8"))
    assert "doc_types = None" in "".join(compare["cells"][0]["source"])  # None: the config's selection
    assert 'municipality = "Frederiksberg"' in "".join(profile["cells"][0]["source"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_prose_comes_from_the_catalogue_so_jupyterlab_shows_the_reports_language(path):
    book = json.loads(path.read_text(encoding="utf-8"))
    assert [c for c in book["cells"] if c["cell_type"] == "markdown"] == []  # no prose fixed in one language
    sources = ["".join(c["source"]) for c in book["cells"]]
    assert any(s.startswith('i18n.say("') or 'display(i18n.say("' in s for s in sources[2:3])  # the title first
