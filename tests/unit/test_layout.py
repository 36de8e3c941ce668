"""The package layout's promises: the configuration does not import the
modules that read its sections, and the first release's plugin import path
still works, with a warning naming the new one."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(m for m in sys.modules if m.startswith('failgate')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_loading_the_configuration_imports_no_reader_of_its_sections() -> None:
    loaded = _modules_after("import failgate.config")
    assert not {m for m in loaded if m.startswith(("failgate.intake", "failgate.eval", "failgate.gate"))}, loaded


def test_the_old_plugin_judge_path_still_imports_with_a_deprecation_warning() -> None:
    code = (
        "import warnings; warnings.simplefilter('always');\n"
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    warnings.simplefilter('always')\n"
        "    from failgate.judge.plugins import Verdict\n"
        "from failgate.eval.judge.plugins import Verdict as New\n"
        "assert Verdict is New\n"
        "print([str(w.message) for w in seen if w.category is DeprecationWarning])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "failgate.eval.judge" in out
