# A heavy init (CPU work at import, as a framework or SDK set-up does) and a light handler.
total = 0
for i in range(3_000_000):
    total = (total + i * i) % 1000003


def handler(event, context):
    return sum(range(1000))
