"""One rule per module; each module's name is its rule's slug in snake_case."""
