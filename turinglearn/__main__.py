import sys

from turinglearn.app.cli import main

sys.exit(main())
