"""wizards of the desktop console."""
