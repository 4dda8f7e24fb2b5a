"""widgets of the desktop console."""
