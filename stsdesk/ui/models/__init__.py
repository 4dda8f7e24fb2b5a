"""models of the desktop console."""
