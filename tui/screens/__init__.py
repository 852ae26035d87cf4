"""Screens: one per pane, plus modals."""
