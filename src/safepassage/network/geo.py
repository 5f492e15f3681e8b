"""Small geodesy helpers on numpy arrays (WGS84, spherical approximation)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> NDArray[np.float64]:
    """Great-circle distance in metres."""
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(a, dtype=np.float64)) for a in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def unit_vectors(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
    """Points on the unit sphere, so Euclidean nearest neighbours are great-circle nearest."""
    lon_r, lat_r = (
        np.radians(np.asarray(lon, dtype=np.float64)),
        np.radians(np.asarray(lat, dtype=np.float64)),
    )
    cos_lat = np.cos(lat_r)
    return np.column_stack((cos_lat * np.cos(lon_r), cos_lat * np.sin(lon_r), np.sin(lat_r)))


def local_xy_m(
    lon: ArrayLike, lat: ArrayLike, lon0: float, lat0: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Equirectangular metres around (lon0, lat0): accurate to well under 1% within ~100 km."""
    k = np.pi / 180 * EARTH_RADIUS_M
    x = (np.asarray(lon, dtype=np.float64) - lon0) * k * np.cos(np.radians(lat0))
    y = (np.asarray(lat, dtype=np.float64) - lat0) * k
    return x, y
