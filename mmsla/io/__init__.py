"""Readers and writers at the edges: our logs (quotes, market, states, fills) and public books."""
