"""Pieces of the synthetic session-corpus generator used by bench/gen_corpus.py.

Every harness writer takes a small spec (plain dict) and a seeded ``random.Random`` and streams
its transcript to disk, returning the "truth" a parser should recover from it.
"""
