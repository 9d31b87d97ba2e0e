"""Tiny Django app holding the model whose ``post_save`` the benchmarks fire."""
