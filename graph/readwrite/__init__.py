"""The readwrite layer of ecgraph (see RESHAPE.md)."""
