"""pages of the desktop console."""
