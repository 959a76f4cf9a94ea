"""One module per thing payments does; each names its dependencies in its signature."""
