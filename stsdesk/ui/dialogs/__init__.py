"""dialogs of the desktop console."""
