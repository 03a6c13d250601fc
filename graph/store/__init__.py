"""The store layer of ecgraph (see RESHAPE.md)."""
