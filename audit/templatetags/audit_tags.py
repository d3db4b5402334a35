from django import template

from audit import readable

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """The recorded action in words ("提交了报告")."""
    return readable.label(action)


@register.simple_tag(takes_context=True)
def readable_changes(context, event) -> list[readable.Change]:
    """What the event changed, in words: field labels, state names, local times; as the request's
    user may read it."""
    return readable.changes(event, context["request"].user)
