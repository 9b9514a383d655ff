"""`python -m infratracker.serve`: the same as `infratracker serve`."""
import sys

from infratracker.serve.server import main

sys.exit(main())
