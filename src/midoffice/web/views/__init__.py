"""The staff workbench pages, one module per concern (see urls.py)."""
