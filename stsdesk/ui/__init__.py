"""The PySide6 desktop console: main window, pages, wizards, dialogs, table models."""
