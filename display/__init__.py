"""Lobby TV displays: pages that show and speak every call."""
