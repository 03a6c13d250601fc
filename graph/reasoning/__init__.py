"""The reasoning layer of ecgraph (see RESHAPE.md)."""
