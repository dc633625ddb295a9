from django import template

from secretariat.audit.labels import action_label

register = template.Library()


@register.filter(name="audit_action")
def audit_action(action: str) -> str:
    """`{{ event.action|audit_action }}`: the action's translated name."""
    return action_label(action)
