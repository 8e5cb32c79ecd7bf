"""Signing letters: the adapter interface, the built-in PAdES signer and a fake service."""
