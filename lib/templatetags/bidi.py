"""Names shown inside direction isolation.

A name may carry right-to-left letters or direction controls (typed, pasted, or hostile: an
override that makes "seigolonhceT iewauH" display as "Huawei Technologies"). Inside `<bdi>` its
direction cannot leak into the text around it, so a label such as "Party ↔ Entity" or a
table row keeps its own order whatever the name holds.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def isolate(value: object) -> SafeString:
    """The value, escaped, inside <bdi> (the browser takes its direction from its first letter)."""
    return format_html("<bdi>{}</bdi>", "" if value is None else value)
