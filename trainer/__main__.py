import sys

from . import START_UNIX
from .cli import main

sys.exit(main(start_unix=START_UNIX))
