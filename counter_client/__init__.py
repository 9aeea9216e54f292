"""Counter operator clients: a Python library, a keyboard console and a web page."""
