"""streamkit: live ceremonies, guided video tours and an archive site for memorial halls."""

__version__ = "0.1.0"
