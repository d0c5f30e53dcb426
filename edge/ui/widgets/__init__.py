"""Widgets of the store terminal: each draws one thing and re-renders when the language changes."""
