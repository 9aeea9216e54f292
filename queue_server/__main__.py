"""The `queue-server` command's entry (also `python -m queue_server`): as light as a module can be, so that Ctrl+C
is met quietly from the first moment. cli.py and what it imports take about half a second to load; a Ctrl+C in
that time, outside any handler, printed a KeyboardInterrupt traceback (an installer's walk: started, stopped at
once)."""


def run() -> None:
    """Ctrl+C at any moment ends the command with status 130, the shell's for "stopped by Ctrl+C", and no traceback:
    while it loads, and anywhere cli.main did not already say it (its own handler, a cleanup it was interrupted in)."""
    try:
        from queue_server.cli import main
    except KeyboardInterrupt:
        # Nothing is made or open while it loads: ended at once. Exiting the usual way, Python itself ended the
        # process by the signal now and then instead of 130 (a Ctrl+C met inside a module's C-run code is counted
        # as not handled, even once caught).
        import os

        os._exit(130)
    try:
        main()
    except KeyboardInterrupt:
        raise SystemExit(130) from None


# Guarded: the speech renderer's worker process is started with "spawn", which imports this module again.
if __name__ == "__main__":
    run()
