"""``python -m pairhmm`` runs the command line."""

from pairhmm.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
