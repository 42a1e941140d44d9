"""Tandem relay: pairs reps' consoles with customers' pages and agents."""
