"""The model: the orchestrator that prices one use case per trial and month, and self-hosting."""
