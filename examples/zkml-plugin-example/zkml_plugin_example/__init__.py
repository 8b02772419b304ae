"""An example third-party zkml plugin distribution."""
