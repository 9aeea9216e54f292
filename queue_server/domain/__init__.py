"""The pure domain core: every queue rule lives here. Standard library only; time is always passed in."""
