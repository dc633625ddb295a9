"""(being written)"""

from django.utils.functional import Promise

AUDIT_LABELS: dict[str, Promise] = {}
