"""Template filters for the server-drawn dashboard charts."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def with_style_nonce(svg: str, nonce: object) -> SafeString:
    """The chart's SVG with the request's CSP nonce on its <style> elements.

    pygal writes each chart's colours and fonts in a <style> inside the SVG (scoped to the
    chart's id). The policy allows no inline style without a nonce, and the rendered charts are
    cached across requests, so the nonce is added here, per response, rather than when drawing.
    """
    return mark_safe(str(svg).replace("<style", f'<style nonce="{nonce}"'))  # noqa: S308 - our own pygal output
