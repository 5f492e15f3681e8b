"""Road networks: read OSM and MATSim files into a RoadGraph, route on it, export it."""

from safepassage.network.areas import Area, edges_in_areas
from safepassage.network.clip import ClipArea
from safepassage.network.graph import RoadGraph
from safepassage.network.load import load_network
from safepassage.network.matsim import graph_from_matsim
from safepassage.network.osm import graph_from_osm
from safepassage.network.routing import Route, alternatives, edge_weights, one_to_all, route
from safepassage.network.snap import snap
from safepassage.network.summary import network_summary

__all__ = [
    "Area",
    "ClipArea",
    "RoadGraph",
    "Route",
    "alternatives",
    "edge_weights",
    "edges_in_areas",
    "graph_from_matsim",
    "graph_from_osm",
    "load_network",
    "network_summary",
    "one_to_all",
    "route",
    "snap",
]
