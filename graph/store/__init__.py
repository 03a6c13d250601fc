"""The store layer of ecgraph (the layers: README, "What is in it")."""
