"""The surfaces layer of ecgraph (see RESHAPE.md)."""
