"""Edits of the dataset on disk: each reads the files under the dataset lock, computes
the new texts with the pure functions of `failgate.dataset` / `failgate.merge`, and
writes them in one `Transaction`, so a failure leaves every file as it was."""
