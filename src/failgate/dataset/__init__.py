"""The dataset: strict YAML, schemas, the parsed files, ids, hashing, events, the history fold, and the edits that keep it honest."""
