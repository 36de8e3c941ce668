"""Intake: failed production traces -> reviewed candidates in `_intake/` (docs/how-to/promote-from-a-trace.md).

- `settings`: the `[tool.failgate.intake]` keys, validated through `config`;
- `rules`: which runs failed, judged by the eval's own judge, and the failure
  mode each failure proposes;
- `similarity`: character n-gram cosine (default) or a pluggable embedder;
- `stratify`: cap the candidates without letting one intent drown the rest;
- `pipeline`: the funnel (read -> failed -> distinct -> recurrences ->
  stratified -> candidates), pure over traces and a parsed dataset;
- `review`: the review file's text, TODO markers, manual candidates.
"""
