"""The data layer: async AWS access, pollers and actions. Imports neither textual nor rich."""
