"""The exit codes of every failgate command, named once (the contract's command table).

`FAILED` is what the command exists to detect: an invalid dataset, a ledger
violation, a merge conflict, a failing gate, a file `fmt` had to fix. `USAGE` is a
mistake in the invocation or the configuration, which no data can fix.
"""

OK, FAILED, USAGE = 0, 1, 2
