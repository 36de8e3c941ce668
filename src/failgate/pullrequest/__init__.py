"""The gate's report as one pull-request comment, updated on every push.

`comment` builds the body (a hidden marker, the gate's Markdown report, the
link to the HTML artifact); `github` finds the comment carrying the marker
among the pull request's comments and updates it, or creates it.
`python -m failgate.pullrequest REPORT.md` is what the Action runs.
"""
