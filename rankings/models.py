"""Models arrive with the rankings work (see DESIGN.md)."""
