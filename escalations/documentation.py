"""The session documentation: a readable summary of the work so far, written at each handoff."""

from django.template.loader import render_to_string


def render_session_documentation(*, session, steps, messages, handoff) -> str:
    return render_to_string(
        "escalations/documentation.txt",
        {"session": session, "steps": steps, "messages": messages, "handoff": handoff},
    ).strip() + "\n"
