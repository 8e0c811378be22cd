# A web handler written the way many are: it imports what it needs on its first call (to keep
# the Init short), then renders a page of numbers. The first invocation pays for the imports;
# each later one is a short burst of CPU (about 2 ms at one vCPU), which a small memory size's
# CPU quota (a share of each 20 ms period) throttles now and then: its durations are bimodal,
# most near the work itself and some a period or two longer.
# Payload: {"count": N} numbers on the page (default 400).

_modules = None


def handler(event, context):
    global _modules
    if _modules is None:
        import decimal
        import email.parser
        import html
        import http.client
        import json
        import string
        import xml.dom.minidom

        _modules = (decimal, email.parser, html, http.client, json, string, xml.dom.minidom)
    decimal, _, html, _, json, string, _ = _modules
    count = int(event.get("count", 400))
    row = string.Template("<li>$n: $d</li>")
    rows = [row.substitute(n=n, d=html.escape(str(decimal.Decimal(n) / 7))) for n in range(count)]
    page = "<ul>" + "".join(rows) + "</ul>"
    return {"bytes": len(page), "summary": json.dumps({"count": count})}
