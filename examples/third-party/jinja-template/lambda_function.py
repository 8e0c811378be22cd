# Renders an HTML page with jinja2 (PyPI), as a web handler does: a list of random numbers
# into a template. jinja2 is imported on the first call, not at init, as many handlers do, so
# the environment's first invocation pays for the import.
from datetime import datetime
from random import sample

PAGE = """<!DOCTYPE html>
<html><head><title>{{ title }}</title></head>
<body><p>Rendered for {{ user }} at {{ when }}</p>
<ul>{% for n in numbers %}<li>{{ n }}</li>{% endfor %}</ul></body></html>"""


def lambda_handler(event, context):
    from jinja2 import Template

    count = int(event.get("count", 1000))
    numbers = sample(range(1_000_000), count)
    html = Template(PAGE).render(title="numbers", user=event.get("user", "guest"), when=datetime.now(), numbers=numbers)
    return {"bytes": len(html)}
