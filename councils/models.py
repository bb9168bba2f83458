"""Models arrive with the councils work (see DESIGN.md)."""
