"""``python -m stsdesk``: the same as the ``stsdesk`` command."""

from stsdesk.cli import main

# Worker processes are spawned and import this module as __mp_main__: they must not run main().
if __name__ == "__main__":
    raise SystemExit(main())
