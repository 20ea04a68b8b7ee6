"""PyG generates each layer class's ``propagate`` (and ``edge_updater``) from a template, writes
the code to a file in the system's temporary directory and leaves it there: two files per layer
class and process, which pile up on a user's machine. Once PyG has loaded the generated module
the file is not read again, so the layers remove it."""

import os
import sys
import tempfile

__all__ = ["remove_generated_sources"]


def remove_generated_sources(layer):
    """Delete the files PyG wrote to the temporary directory for ``layer``'s class."""
    prefix = f"{type(layer).__module__}_{type(layer).__name__}_"
    temporary = os.path.realpath(tempfile.gettempdir())
    for hook in ("propagate", "edge_updater"):
        path = getattr(sys.modules.get(prefix + hook), "__file__", None)
        if path and os.path.dirname(os.path.realpath(path)) == temporary:
            try:
                os.remove(path)
            except OSError:  # already gone (another layer of the class), or not ours to remove
                pass
