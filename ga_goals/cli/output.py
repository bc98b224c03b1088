"""How the CLI prints things it shares between commands."""

from __future__ import annotations

import click

from ga_goals.errors import Problem


def echo_problem(ctx: click.Context, problem: Problem) -> None:
    """``file:line:col:`` in bold, the message in red (error) or yellow (warning), to stderr."""
    color = "red" if problem.severity == "error" else "yellow"
    location, _, message = str(problem).partition(": ")
    click.echo(click.style(location + ":", bold=True) + " " + click.style(message, fg=color), err=True, color=ctx.color)
