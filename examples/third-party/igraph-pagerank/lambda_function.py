# PageRank of a random scale-free graph with python-igraph (PyPI; a C library underneath).
import igraph


def lambda_handler(event, context):
    size = int(event.get("size", 3000))
    graph = igraph.Graph.Barabasi(size, 10)
    ranks = graph.pagerank()
    return {"vertices": size, "top": max(ranks)}
