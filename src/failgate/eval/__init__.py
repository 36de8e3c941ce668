"""The eval: case selection, agents, the judge, the runner, recording and its reports."""
