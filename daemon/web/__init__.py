"""The user-facing web pages: the energy status banner (full page and embeddable widget)."""
