from queue_server.cli import main

# Guarded: the speech renderer's worker process is started with "spawn", which imports this module again.
if __name__ == "__main__":
    main()
