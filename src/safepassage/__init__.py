"""safepassage: plan, run and account for humanitarian evacuation corridors."""

from safepassage.errors import SafePassageError

__version__ = "0.1.0"
__all__ = ["SafePassageError", "__version__"]
